/** A definition list of label/value pairs, as the monitor pages and incident evidence show them. */
export function FactList(props: { facts: [string, string][]; class: string }) {
  return (
    <dl class={props.class}>
      {props.facts.map(([k, v]) => (
        <div>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

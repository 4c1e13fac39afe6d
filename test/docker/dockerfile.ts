/** A small reader of our Dockerfile: its stages, with what each copies, sets and runs. */
export type CopyInstruction = { from?: string; sources: string[]; dest: string };
export type Stage = { name?: string; image: string; workdir: string; copies: CopyInstruction[]; env: Record<string, string>; runs: string[]; entrypoint?: string[]; cmd?: string[]; user?: string };

export function readDockerfile(text: string): Stage[] {
  // Join continued lines, drop comments and blank lines.
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  const expand = (s: string) => s.replace(/\$\{(\w+)\}/g, (_, n: string) => args[n] ?? '');
  for (const line of lines) {
    const [, instr, rest] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    const stage = stages.at(-1);
    switch (instr?.toUpperCase()) {
      case 'ARG': {
        const [k, v] = rest.split('=');
        if (!stage) args[k] = v ?? '';
        break;
      }
      case 'FROM': {
        const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest)!;
        stages.push({ image: expand(m[1]), name: m[2], workdir: '/', copies: [], env: {}, runs: [] });
        break;
      }
      case 'WORKDIR':
        stage!.workdir = rest.startsWith('/') ? rest : `${stage!.workdir.replace(/\/$/, '')}/${rest}`;
        break;
      case 'COPY': {
        const words = rest.split(/\s+/);
        const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
        const paths = words.filter((w) => !w.startsWith('--'));
        stage!.copies.push({ from, sources: paths.slice(0, -1), dest: paths.at(-1)! });
        break;
      }
      case 'ENV':
        for (const m of rest.matchAll(/(\w+)=(\S+)/g)) stage!.env[m[1]] = m[2];
        break;
      case 'RUN':
        stage!.runs.push(rest);
        break;
      case 'USER':
        stage!.user = rest;
        break;
      case 'ENTRYPOINT':
        stage!.entrypoint = JSON.parse(rest);
        break;
      case 'CMD':
        stage!.cmd = rest.startsWith('[') ? JSON.parse(rest) : undefined;
        break;
    }
  }
  return stages;
}

/** Certificates on the pages: a warning in force (alerts.certificate), and what a step's certificate said. */
import type { CertificateEvidence } from '../alerting/types.js';
import type { StepRow } from '../store/runs.js';

/** A certificate warning in force: which host, when it expires. */
export function CertificateNotice(props: { certificate: CertificateEvidence | null }) {
  const c = props.certificate;
  if (!c) return null;
  return (
    <p class="cert-warning" role="note">
      <strong>Certificate</strong> for {c.host} {c.daysLeft >= 0 ? `expires in ${c.daysLeft} days` : `expired ${-c.daysLeft} days ago`} ({new Date(c.validTo).toISOString().slice(0, 10)})
    </p>
  );
}

/** What a step's certificate said: names, issuer, expiry, and whether chain and name were valid. */
export function CertificateFacts(props: { tls: StepRow['tls'] }) {
  const t = props.tls;
  if (!t) return null;
  const day = new Date(t.validTo).toISOString().slice(0, 10);
  return (
    <p class="cert-facts">
      Certificate {t.subject} ({t.altNames.slice(0, 4).join(', ') || 'no alternative names'}), issued by {t.issuer}, expires {day}{' '}
      <span class={t.daysLeft <= 0 ? 'bad' : ''}>({t.daysLeft >= 0 ? `in ${t.daysLeft} days` : `${-t.daysLeft} days ago`})</span>; chain{' '}
      <span class={t.chainValid ? '' : 'bad'}>{t.chainValid ? 'trusted' : 'not trusted'}</span>, name <span class={t.hostnameValid ? '' : 'bad'}>{t.hostnameValid ? `matches ${t.host}` : `does not match ${t.host}`}</span>
      {t.protocol ? `, ${t.protocol}` : ''}.
    </p>
  );
}

const iso = (t: number) => new Date(t).toISOString().replace('T', ' ').slice(0, 19);

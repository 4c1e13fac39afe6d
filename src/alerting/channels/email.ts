import nodemailer from 'nodemailer';
import { z } from 'zod';
import { htmlBody, subject, textBody } from '../render.js';
import type { ChannelPlugin } from '../types.js';
import { zodValidate, type ZodChannel } from './zod-validate.js';

const address = z.string().min(3).regex(/@/, 'not an email address');

export const emailOptionsSchema = z.strictObject({
  type: z.literal('email'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(587),
  /** true: TLS from the first byte (port 465). false: plain, upgraded with STARTTLS when the server offers it. */
  secure: z.boolean().default(false),
  /** Refuse to send unless STARTTLS succeeds (only with secure: false). */
  requireTls: z.boolean().default(false),
  user: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  from: z.string().min(3),
  to: z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(address).min(1, 'give at least one recipient')),
  timeout: z.number().int().min(100).max(120_000).default(15_000).describe('connection/greeting/socket timeout in ms'),
}).refine((o) => (o.user === undefined) === (o.password === undefined), { message: 'give both user and password, or neither', path: ['password'] });

export type EmailOptions = z.output<typeof emailOptionsSchema>;

/** Email over SMTP with nodemailer: a plain-text and an HTML body carrying the evidence. */
export const emailChannel: ChannelPlugin<EmailOptions> & ZodChannel<typeof emailOptionsSchema> = {
  type: 'email',
  validate: zodValidate(emailOptionsSchema),
  optionsSchema: emailOptionsSchema,
  async send(event, o) {
    const transport = nodemailer.createTransport({
      host: o.host,
      port: o.port,
      secure: o.secure,
      requireTLS: o.requireTls,
      auth: o.user !== undefined ? { user: o.user, pass: o.password } : undefined,
      connectionTimeout: o.timeout,
      greetingTimeout: o.timeout,
      socketTimeout: o.timeout,
    });
    try {
      await transport.sendMail({
        from: o.from,
        to: event.recipients && event.recipients.length > 0 ? event.recipients : o.to,
        subject: subject(event),
        text: textBody(event),
        html: htmlBody(event),
        headers: { 'X-Halftime-Event': event.id },
      });
    } finally {
      transport.close();
    }
  },
};

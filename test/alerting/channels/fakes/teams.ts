/**
 * A Teams Workflows webhook ("Send webhook alerts to a channel"): POST JSON with a signed URL
 * (`sig=`), a message whose attachments are Adaptive Cards; 202 Accepted.
 */
import { z } from 'zod';
import { mediaType, problemsOf, startFakeProvider } from '../fake-provider.js';

export const TEAMS_PATH = '/workflows/5d3c0a7e9f1b4c2d8e6a/triggers/manual/paths/invoke';
export const TEAMS_SIG = 'Xq7vB2nLp9Rk4TzW1mYc8HsD0aFgJ5uE3iOw6NbVt';
export const teamsQuery = (sig = TEAMS_SIG) => `?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${sig}`;

const element = z.discriminatedUnion('type', [
  z.object({ type: z.literal('TextBlock'), text: z.string().min(1), wrap: z.boolean().optional() }).loose(),
  z.object({ type: z.literal('FactSet'), facts: z.array(z.object({ title: z.string(), value: z.string() })).min(1) }),
]);

const card = z.object({
  $schema: z.string().optional(),
  type: z.literal('AdaptiveCard'),
  version: z.string().regex(/^1\.[0-5]$/, 'Teams renders Adaptive Card versions up to 1.5'),
  body: z.array(element).min(1),
  actions: z.array(z.object({ type: z.literal('Action.OpenUrl'), title: z.string().min(1), url: z.url() })).optional(),
  msteams: z.object({ width: z.enum(['Full']).optional() }).optional(),
});

const message = z.object({
  type: z.literal('message'),
  attachments: z.array(z.object({ contentType: z.literal('application/vnd.microsoft.card.adaptive'), contentUrl: z.null().optional(), content: card })).min(1),
});

const err = (status: number, code: string, message: string, headers?: Record<string, string>) => ({ status, headers, body: { error: { code, message } } });

export async function startFakeTeams() {
  return startFakeProvider((r, reject) => {
    if (r.path !== TEAMS_PATH) return err(404, 'WorkflowNotFound', 'The workflow could not be found.');
    if (r.query.get('sig') !== TEAMS_SIG) return err(401, 'DirectApiAuthorizationRequired', 'The request must be authenticated with a valid signature (sig) or OAuth token.');
    const problems = mediaType(r) === 'application/json' ? problemsOf(message, r.json) : [`content-type ${mediaType(r)}`];
    if (problems.length) {
      reject(problems);
      return err(400, 'InvalidRequestContent', `The input body for trigger 'manual' of type 'Request' did not match its schema definition: ${problems[0]}`);
    }
    return { status: 202 };
  });
}

export const teamsRateLimit = err(429, 'WorkflowTriggerIsThrottled', 'The workflow is throttled; retry after the indicated delay.', { 'retry-after': '12' });

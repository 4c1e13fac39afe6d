import type { OperatorState, StateJudge } from '../store/admin-queries.js';
import type { MonitorState } from '../store/status.js';

/** What alerting says of a monitor right now (its status()), or nothing when alerting is not wired in. */
export type AlertStatusReader = (monitorKey: string) => 'up' | 'degraded' | 'down' | 'maintenance' | 'no_data';

/**
 * One state everywhere: the status page, the admin pages, the API and the alerts all show the alert
 * engine's judgement (up, degraded, down after the configured failures, maintenance). Only a monitor
 * the engine has not judged yet (no run since it was added) falls back to its last run's result.
 */
export function judgedState(lastRunState: MonitorState, alertStatus: ReturnType<AlertStatusReader> | null | undefined): OperatorState {
  return !alertStatus || alertStatus === 'no_data' ? lastRunState : alertStatus;
}

export function stateJudge(status: AlertStatusReader | undefined): StateJudge | undefined {
  return status && ((key, lastRunState) => judgedState(lastRunState, status(key)));
}

export const STATE_LABEL: Record<OperatorState, string> = { up: 'Up', down: 'Down', unknown: 'No data yet', degraded: 'Degraded', maintenance: 'Maintenance' };

import type { NotificationType } from 'vscode-languageserver/node';
import {
  DevDidChangeNotification,
  PortForwardDidChangeNotification,
  RunDidChangeNotification,
  StatusDidChangeNotification,
  SyncDidChangeNotification,
  type StatusResult,
} from '../../protocol';
import type { DaemonEvent } from '../daemon';
import { assertNever } from '../errors';

/** Sends one notification; typed, so a payload that does not match its NotificationType fails to compile. */
export type Notify = <P>(type: NotificationType<P>, params: P) => void;

/**
 * The one place where the daemon's events become protocol notifications: every kind maps to its
 * NotificationType here, and a new kind does not compile until it does.
 */
export function sendEvent(event: DaemonEvent, notify: Notify, status: () => StatusResult): void {
  switch (event.kind) {
    case 'devChanged':
      return notify(DevDidChangeNotification.type, event.session);
    case 'syncChanged':
      return notify(SyncDidChangeNotification.type, event.status);
    case 'runChanged': {
      const { kind: _, ...change } = event;
      return notify(RunDidChangeNotification.type, change);
    }
    case 'portForwardsChanged':
      return notify(PortForwardDidChangeNotification.type, { portForwards: event.portForwards });
    case 'statusChanged':
      return notify(StatusDidChangeNotification.type, status());
    default:
      return assertNever(event);
  }
}

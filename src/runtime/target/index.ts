/** The target: the responder every node runs so sources can probe node-to-node paths. */
export { type CloseResult, type RunningTarget, type TargetOptions, startTarget } from './server.js';
export { type BodyFormat, type Identity, identityFromEnv, negotiateFormat, renderIdentity } from './identity.js';
export { type Bound, listenCandidates, listenFirst } from './listen.js';
export { type Level, type LogWriter, logLine } from './log.js';
export { type StopSignal, nextStopSignal } from './signals.js';

/** The probing runtime: probe one target, or many with bounded concurrency. */
export { probe, type ProbeOptions } from './probe.js';
export { runProbes, type OnProbeResult, type RunProbesOptions, type RunProbesSummary } from './runner.js';
export { type Resolver, systemResolver } from './resolve.js';
export { type Endpoint, InvalidEndpointError, formatEndpoint, isValidHost, parseEndpoint } from './endpoint.js';
export { DEFAULT_EXPECTED_STATUS, formatExpectedStatus, isExpectedStatus, parseExpectedStatus } from './status.js';
export { Reason } from './messages.js';

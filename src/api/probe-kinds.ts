/** The probe kinds and the bounds of their options: one list for the topology, the check schema and the runtime. */

export const PROBE_KINDS = ['tcp', 'tls', 'http', 'https', 'icmp', 'udp', 'mtu'] as const;
export type ProbeKind = (typeof PROBE_KINDS)[number];

/** Kinds that talk to p2pnc's target responder (UDP echo, sized payload); other servers do not answer them. */
export const RESPONDER_KINDS: readonly ProbeKind[] = ['udp', 'mtu'];

/** Datagrams a `udp` probe sends each cycle. */
export const UDP_COUNT = { default: 10, min: 1, max: 1000 } as const;
/** A `udp` probe fails when more than this share of its datagrams (percent) got no echo. */
export const UDP_MAX_LOSS_PERCENT = { default: 20, min: 0, max: 99 } as const;
/** Bytes an `mtu` probe asks the target to send: enough for full-sized segments on jumbo-frame links too. */
export const MTU_SIZE = { default: 65_536, min: 2_048, max: 1_048_576 } as const;

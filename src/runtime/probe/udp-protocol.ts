/**
 * The UDP echo exchange between a `udp` probe and the target responder: the responder sends back, unchanged, only
 * datagrams that start with the magic and are no larger than a probe's, so it is no open reflector.
 * Layout: magic (8 bytes), the probe's token (8), sequence number (4), zero padding to 64 bytes.
 */
export const UDP_ECHO_MAGIC = Buffer.from('p2pncUE1', 'latin1');
export const UDP_ECHO_MIN_BYTES = 64;
export const UDP_ECHO_MAX_BYTES = 1_024;

export function isEchoRequest(message: Buffer): boolean {
  return (
    message.length >= UDP_ECHO_MIN_BYTES &&
    message.length <= UDP_ECHO_MAX_BYTES &&
    message.subarray(0, UDP_ECHO_MAGIC.length).equals(UDP_ECHO_MAGIC)
  );
}

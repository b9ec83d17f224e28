/**
 * ICMP datagram ("ping") sockets: a small Node-API addon (native/icmp) opens them, Node's dgram drives them.
 * They need no capability, only net.ipv4.ping_group_range covering one of the process's groups.
 */
import { type Socket, createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface IcmpAddon {
  open(family: 4 | 6): number;
  close(fd: number): void;
}

/** Why ping sockets cannot be had; `code` is the errno name (EACCES: the sysctl excludes our groups). */
export class PingSocketError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'PingSocketError';
  }
}

/** Set by tests and unusual layouts; otherwise the addon is looked for next to the code and in the build folder. */
const ADDON_ENV = 'P2PNC_ICMP_ADDON';
const ADDON_FILE = 'icmp.node';

let addon: IcmpAddon | PingSocketError | undefined;

function addonCandidates(): string[] {
  const fromEnv = process.env[ADDON_ENV];
  if (fromEnv) return [fromEnv];
  const here = dirname(fileURLToPath(import.meta.url));
  // The image's bundle keeps it beside p2pnc.mjs (code may sit in chunks/); a checkout builds it into build/native/.
  return [join(here, ADDON_FILE), join(here, '..', ADDON_FILE), join(here, '../../../build/native', ADDON_FILE)];
}

function loadAddon(): IcmpAddon | PingSocketError {
  const path = addonCandidates().find((candidate) => existsSync(candidate));
  if (!path)
    return new PingSocketError(
      `ICMP probes need the native addon ${ADDON_FILE}, not found (build it with: node native/icmp/build.mjs)`,
      'ENOENT',
    );
  try {
    return createRequire(import.meta.url)(path) as IcmpAddon;
  } catch (error) {
    return new PingSocketError(`cannot load the ICMP addon ${path}: ${(error as Error).message}`, 'ELIBBAD');
  }
}

const ERRNO_NAMES = new Map<number, string>(Object.entries(constants.errno).map(([name, value]) => [value, name]));

/** The groups the kernel compares with net.ipv4.ping_group_range. */
function processGroups(): number[] {
  const groups = new Set<number>();
  if (process.getgid) groups.add(process.getgid());
  if (process.getegid) groups.add(process.getegid());
  for (const group of process.getgroups?.() ?? []) groups.add(group);
  return [...groups];
}

export function pingNotPermittedText(): string {
  const groups = processGroups();
  const group = groups[0] ?? 0;
  return (
    `ping sockets not permitted: set net.ipv4.ping_group_range to a range covering group ${group}` +
    ` (e.g. "${group} ${group}" in the pod's securityContext.sysctls)`
  );
}

/** Opens a ping socket for IPv4 (4) or IPv6 (6) as a dgram socket, bound and receiving; throws PingSocketError. */
export function openPingSocket(family: 4 | 6): Socket {
  addon ??= loadAddon();
  if (addon instanceof PingSocketError) throw addon;
  const fd = addon.open(family);
  if (fd < 0) {
    const code = ERRNO_NAMES.get(-fd) ?? `errno ${-fd}`;
    if (code === 'EACCES' || code === 'EPERM') throw new PingSocketError(pingNotPermittedText(), code);
    if (code === 'EAFNOSUPPORT') throw new PingSocketError(`IPv${family} is not available on this host`, code);
    throw new PingSocketError(`cannot open an ICMP socket: ${code}`, code);
  }
  const socket = createSocket(family === 4 ? 'udp4' : 'udp6');
  try {
    socket.bind({ fd });
  } catch (error) {
    addon.close(fd);
    throw new PingSocketError(`cannot use the ICMP socket: ${(error as Error).message}`, 'EINVAL');
  }
  return socket;
}

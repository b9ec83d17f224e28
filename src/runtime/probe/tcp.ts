/** TCP step: connect to one IP address. */
import { Socket } from 'node:net';
import type { ProbeDeadline } from './deadline.js';
import { StepFailure, ignoreError, interruptionFailure } from './failure.js';

export function connectTcp(address: string, port: number, deadline: ProbeDeadline): Promise<Socket> {
  if (deadline.interrupted) return Promise.reject(interruptionFailure(deadline.interrupted));
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    socket.on('error', ignoreError);
    const onConnect = (): void => {
      socket.removeListener('error', onError);
      deadline.disarm();
      resolve(socket);
    };
    const onError = (error: Error): void => {
      socket.removeListener('connect', onConnect);
      deadline.disarm();
      socket.destroy();
      reject(new StepFailure('error', error));
    };
    socket.once('connect', onConnect);
    socket.once('error', onError);
    deadline.arm((cause) => {
      socket.removeListener('connect', onConnect);
      socket.removeListener('error', onError);
      socket.destroy();
      reject(interruptionFailure(cause));
    });
    // An IP literal host: net skips its own lookup.
    socket.connect(port, address);
  });
}

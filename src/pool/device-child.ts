/**
 * Entry of a device child process (one per GPU, forked by ProcessDevice with CUDA_VISIBLE_DEVICES set). It hosts a
 * ThreadDevice (worker threads) and relays the pool protocol between the controller (IPC) and its threads (MessagePorts).
 *
 * It ignores SIGINT/SIGTERM: Ctrl-C in a terminal reaches the whole process group, and the controller decides how trials stop.
 * It exits when the controller says `close`, or when the IPC channel disconnects (the controller died), so no orphan survives.
 */
import type { ControllerReply, FromDeviceChild, ToDeviceChild } from './protocol.js';
import { ThreadDevice, type RunHandle } from './devices.js';

if (!process.send) {
  process.stderr.write('device-child: must be started by the tunekit pool (child_process.fork with an IPC channel)\n');
  process.exit(2);
}

process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);

const send = (msg: FromDeviceChild): void => {
  if (process.connected) process.send?.(msg);
};

let device: ThreadDevice | undefined;
const runs = new Map<number, RunHandle>();
/** Replies awaited by this process's threads, by run id and request seq. */
const waiting = new Map<string, (reply: ControllerReply) => void>();

process.on('disconnect', () => {
  // The controller is gone: nothing can record these trials any more.
  void device?.destroy().finally(() => process.exit(0));
  if (!device) process.exit(0);
});

process.on('message', (msg: ToDeviceChild) => {
  switch (msg.type) {
    case 'init':
      device = new ThreadDevice(msg.device, msg.threads, {
        ...(msg.workerMemoryMb !== undefined ? { workerMemoryMb: msg.workerMemoryMb } : {}),
        ...(msg.preload !== undefined ? { preload: msg.preload } : {}),
        ...(msg.data ? { data: msg.data } : {}),
      });
      send({ type: 'ready', pid: process.pid });
      return;
    case 'run': {
      if (!device) {
        send({ type: 'done', id: msg.id, outcome: { type: 'error', kind: 'error', message: 'device child got a task before init' } });
        return;
      }
      const id = msg.id;
      const handle = device.start(
        msg.task,
        (request) =>
          new Promise<ControllerReply>((resolve) => {
            waiting.set(`${id}/${request.seq}`, resolve);
            send({ type: 'request', id, request });
          }),
      );
      runs.set(id, handle);
      void handle.outcome.then((outcome) => {
        runs.delete(id);
        for (const key of waiting.keys()) if (key.startsWith(`${id}/`)) waiting.delete(key);
        send({ type: 'done', id, outcome });
      });
      return;
    }
    case 'reply': {
      if (msg.reply.seq === 0) {
        runs.get(msg.id)?.stop();
        return;
      }
      const key = `${msg.id}/${msg.reply.seq}`;
      const resolve = waiting.get(key);
      waiting.delete(key);
      resolve?.(msg.reply);
      return;
    }
    case 'kill':
      runs.get(msg.id)?.kill();
      return;
    case 'close':
      void (device?.close() ?? Promise.resolve()).finally(() => process.exit(0));
      return;
  }
});

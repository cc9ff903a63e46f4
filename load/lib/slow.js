// @ts-check
/**
 * Making a socket a slow consumer.
 *
 * Under the project's runner, `pauseReading()` (a runner extension) stops reading the
 * TCP socket: the kernel buffers fill and the server sees a genuinely slow reader.
 * Real k6 has no way to stop reading (its Go side keeps draining the socket into the
 * VU's event queue), so there the VU's message handler becomes a sleep: the VU stops
 * handling messages, which models a stalled browser tab but not TCP backpressure.
 */
import { sleep } from 'k6';

/**
 * @param {import('k6/websockets').WebSocket} ws
 * @param {number} sleepSeconds per message, for real k6
 * @returns {'paused' | 'sleeping'}
 */
export function stopReading(ws, sleepSeconds) {
  const w = /** @type {any} */ (ws);
  if (typeof w.pauseReading === 'function') {
    w.pauseReading();
    return 'paused';
  }
  ws.onmessage = () => sleep(sleepSeconds);
  return 'sleeping';
}

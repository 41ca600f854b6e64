import { execFile } from 'node:child_process';

/**
 * One message with Debian's `mosquitto_pub` (Eclipse Mosquitto's client, an MQTT implementation
 * we did not write), QoS 1: resolves when the broker acknowledged it, rejects with the client's
 * own words when it could not (refused login, closed connection).
 */
export function mosquittoPub(o: { port: number; username: string; password: string; topic: string; message: string; qos?: 0 | 1 }): Promise<void> {
  const args = [
    '-h',
    '127.0.0.1',
    '-p',
    String(o.port),
    '-u',
    o.username,
    '-P',
    o.password,
    '-t',
    o.topic,
    '-q',
    String(o.qos ?? 1),
    '-i',
    `gg-test-${Math.random().toString(36).slice(2, 10)}`,
    '-m',
    o.message,
  ];
  return new Promise((resolve, reject) => {
    execFile(process.env.MOSQUITTO_PUB ?? '/usr/bin/mosquitto_pub', args, { timeout: 10_000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`mosquitto_pub exit ${err.code ?? err.signal}: ${stderr.trim()}`));
      else resolve();
    });
  });
}

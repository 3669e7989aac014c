#!/usr/bin/env node
// Wait until a Kafka broker serves clients: it accepts connections, answers metadata with itself
// registered (a KRaft broker is listed only once it is registered and unfenced) and a controller,
// and lists topics. Used by scripts/kafka.sh; exits 0 when ready, 1 on timeout, 2 if PID died.
//
//   node scripts/kafka/wait-ready.mjs HOST:PORT [TIMEOUT_SECONDS=90] [PID]
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';

const [broker, timeoutArg = '90', pidArg] = process.argv.slice(2);
if (!broker) {
  console.error('usage: wait-ready.mjs HOST:PORT [TIMEOUT_SECONDS] [PID]');
  process.exit(64);
}
const [host, portText] = [broker.slice(0, broker.lastIndexOf(':')), broker.slice(broker.lastIndexOf(':') + 1)];
const port = Number(portText);
const deadline = Date.now() + Number(timeoutArg) * 1000;
const pid = pidArg ? Number(pidArg) : undefined;

function processAlive() {
  if (pid === undefined) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Cheap TCP probe, so kafkajs is only used once the port accepts. */
function portOpen() {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function brokerReady() {
  const kafka = new Kafka({
    clientId: 'alertgate-wait-ready',
    brokers: [broker],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 3000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length < 1 || cluster.controller == null || cluster.controller < 0) {
      return `not registered yet (brokers=${cluster.brokers.length}, controller=${cluster.controller})`;
    }
    await admin.listTopics();
    return true;
  } catch (err) {
    return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

let last = 'port not open';
while (Date.now() < deadline) {
  if (!processAlive()) {
    console.error(`wait-ready: the broker process ${pid} exited`);
    process.exit(2);
  }
  if (await portOpen()) {
    const result = await brokerReady();
    if (result === true) process.exit(0);
    last = result;
  }
  await sleep(100);
}
console.error(`wait-ready: ${broker} not ready after ${timeoutArg}s (last: ${last})`);
process.exit(1);

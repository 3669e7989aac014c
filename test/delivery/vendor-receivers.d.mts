import type { DeliveryResult, Notification, Receiver, ReceiverState } from '../../src/receivers/receiver.js';

export declare class PagerReceiver implements Receiver {
  constructor(name: string, baseUrl: string, routingKey: string);
  readonly name: string;
  readonly type: string;
  readonly secrets: readonly string[];
  send(n: Notification, state: ReceiverState): Promise<DeliveryResult>;
  update(n: Notification, state: ReceiverState): Promise<DeliveryResult>;
  resolve(n: Notification, state: ReceiverState): Promise<DeliveryResult>;
}

export declare class TicketReceiver implements Receiver {
  constructor(name: string, baseUrl: string, token: string);
  readonly name: string;
  readonly type: string;
  readonly secrets: readonly string[];
  send(n: Notification, state: ReceiverState): Promise<DeliveryResult>;
  update(n: Notification, state: ReceiverState): Promise<DeliveryResult>;
  resolve(n: Notification, state: ReceiverState): Promise<DeliveryResult>;
}

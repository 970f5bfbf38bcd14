import { topicMatches, type BrokerLink, type MessageHandler, type PublishOptions } from '../broker/broker-link.js';

/** An in-memory BrokerLink for unit tests: records publishes, delivers `inject`ed messages. */
export class MemoryLink implements BrokerLink {
  readonly published: { topic: string; payload: Buffer; options: PublishOptions }[] = [];
  private readonly subs: { filter: string; handler: MessageHandler }[] = [];

  async subscribe(filter: string, handler: MessageHandler): Promise<void> {
    this.subs.push({ filter, handler });
  }
  async publish(topic: string, payload: Buffer, options: PublishOptions): Promise<void> {
    this.published.push({ topic, payload, options });
  }
  isConnected(): boolean {
    return true;
  }
  async close(): Promise<void> {}
  get filters(): string[] {
    return this.subs.map((s) => s.filter);
  }
  async inject(topic: string, payload: Buffer): Promise<void> {
    for (const s of this.subs) if (topicMatches(s.filter, topic)) await s.handler(topic, payload);
  }
}

/** Contract topics under `ROOT = {prefix}/{site}/{gateway}` (contract/README.md). */
export class ContractTopics {
  readonly root: string;

  constructor(prefix: string, site: string, gateway: string) {
    this.root = `${prefix}/${site}/${gateway}`;
  }

  get state(): string {
    return `${this.root}/state`;
  }
  deviceState(device: string): string {
    return `${this.root}/devices/${device}/state`;
  }
  get telemetry(): string {
    return `${this.root}/telemetry`;
  }
  get events(): string {
    return `${this.root}/events`;
  }
  snapshot(eventId: string): string {
    return `${this.root}/snapshots/${eventId}`;
  }
  /** Subscription for every command. `+` is one level, so our own `/result` replies do not match. */
  get commandFilter(): string {
    return `${this.root}/cmd/+`;
  }
  commandResult(command: string): string {
    return `${this.root}/cmd/${command}/result`;
  }
  /** The command name of a command topic, or undefined if the topic is not one. */
  commandName(topic: string): string | undefined {
    const prefix = `${this.root}/cmd/`;
    if (!topic.startsWith(prefix)) return undefined;
    const name = topic.slice(prefix.length);
    return name && !name.includes('/') ? name : undefined;
  }
}

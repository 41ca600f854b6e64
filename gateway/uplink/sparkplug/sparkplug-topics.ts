/** Sparkplug B 3.0 topic namespace ([tck-id-topic-structure-namespace-a]). */
export const SPARKPLUG_NAMESPACE = 'spBv1.0';

export type NodeVerb = 'NBIRTH' | 'NDEATH' | 'NDATA' | 'NCMD';
export type DeviceVerb = 'DBIRTH' | 'DDEATH' | 'DDATA' | 'DCMD';

/** Topics of one Edge Node: `spBv1.0/{group}/{verb}/{node}[/{device}]` (Sparkplug 3.0 §4.1). */
/** Whom an NCMD or DCMD topic addresses. */
export type CommandTarget = { kind: 'node' } | { kind: 'device'; device: string };

export class SparkplugTopics {
  constructor(
    readonly group: string,
    readonly node: string,
  ) {}

  /** [tck-id-topics-nbirth-topic], [tck-id-topics-ndata-topic], [tck-id-topics-ndeath-topic], [tck-id-topics-ncmd-topic] */
  nodeTopic(verb: NodeVerb): string {
    return `${SPARKPLUG_NAMESPACE}/${this.group}/${verb}/${this.node}`;
  }

  /** [tck-id-topics-dbirth-topic], [tck-id-topics-ddata-topic], [tck-id-topics-ddeath-topic], [tck-id-topics-dcmd-topic] */
  deviceTopic(verb: DeviceVerb, device: string): string {
    return `${SPARKPLUG_NAMESPACE}/${this.group}/${verb}/${this.node}/${device}`;
  }

  /** Every DCMD to this node's devices. */
  get dcmdFilter(): string {
    return `${SPARKPLUG_NAMESPACE}/${this.group}/DCMD/${this.node}/+`;
  }

  /** The Primary Host Application's STATE topic (Sparkplug 3.0: `spBv1.0/STATE/{host_id}`). */
  static state(hostId: string): string {
    return `${SPARKPLUG_NAMESPACE}/STATE/${hostId}`;
  }

  /** What a command topic addresses: the node (NCMD) or one device (DCMD); undefined otherwise. */
  parseCommand(topic: string): CommandTarget | undefined {
    if (topic === this.nodeTopic('NCMD')) return { kind: 'node' };
    const prefix = `${SPARKPLUG_NAMESPACE}/${this.group}/DCMD/${this.node}/`;
    if (!topic.startsWith(prefix)) return undefined;
    const device = topic.slice(prefix.length);
    return device && !device.includes('/') ? { kind: 'device', device } : undefined;
  }
}

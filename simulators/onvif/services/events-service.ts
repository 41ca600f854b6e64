import { parseTopicFilter } from '../../../drivers/onvif/events/topic-filter.js';
import { parseDuration, parseTermination } from '../../../drivers/onvif/soap/duration.js';
import { NS } from '../../../drivers/onvif/soap/namespaces.js';
import { child, type XmlElement } from '../../../drivers/onvif/xml/xml-element.js';
import { SubscriptionGone, TooManySubscriptions } from '../pull-point-store.js';
import type { ServiceCamera } from '../camera-shape.js';
import { actionNotSupported, invalidArg, isoSeconds, resourceUnknown, SimSoapFault } from '../sim-soap.js';
import { notificationXml } from '../sim-notification.js';

/** Longest PullMessages hold we grant (ONVIF Core §9.1.3 lets the device cap Timeout). */
const MAX_PULL_MS = 60_000;
const DEFAULT_TERMINATION_MS = 60_000;

/** Events service (ONVIF Core §9) on /onvif/events_service. */
export function eventsService(cam: ServiceCamera, op: string, el: XmlElement): string {
  switch (op) {
    case 'CreatePullPointSubscription': {
      const expr = child(child(el, NS.tev, 'Filter'), NS.wsnt, 'TopicExpression');
      let filter: ReturnType<typeof parseTopicFilter>;
      if (expr) {
        filter = parseTopicFilter(expr.text, (p) => expr.scope.get(p));
        if (!filter) throw new SimSoapFault('Sender', ['wsnt:InvalidFilterFault'], `cannot parse topic filter ${expr.text}`);
      }
      const now = cam.deviceNow();
      const term = terminationOf(cam, child(el, NS.tev, 'InitialTerminationTime')?.text, now);
      try {
        const sub = cam.store.create(filter, term);
        cam.counters.subscriptions += 1;
        return `<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference><wsa:Address>${cam.baseUrl}/onvif/subscription/${sub.id}</wsa:Address></tev:SubscriptionReference><wsnt:CurrentTime>${isoSeconds(now)}</wsnt:CurrentTime><wsnt:TerminationTime>${isoSeconds(term)}</wsnt:TerminationTime></tev:CreatePullPointSubscriptionResponse>`;
      } catch (err) {
        if (err instanceof TooManySubscriptions) throw new SimSoapFault('Receiver', ['ter:Action', 'ter:MaxPullPoints'], err.message);
        throw err;
      }
    }
    case 'GetEventProperties':
      return `<tev:GetEventPropertiesResponse><tev:TopicNamespaceLocation>http://www.onvif.org/onvif/ver10/topics/topicns.xml</tev:TopicNamespaceLocation><wsnt:FixedTopicSet>true</wsnt:FixedTopicSet><wstop:TopicSet/><wsnt:TopicExpressionDialect>http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet</wsnt:TopicExpressionDialect><tev:MessageContentFilterDialect>http://www.onvif.org/ver10/tev/messageContentFilter/ItemFilter</tev:MessageContentFilterDialect><tev:MessageContentSchemaLocation>http://www.onvif.org/onvif/ver10/schema/onvif.xsd</tev:MessageContentSchemaLocation></tev:GetEventPropertiesResponse>`;
    case 'GetServiceCapabilities':
      return `<tev:GetServiceCapabilitiesResponse><tev:Capabilities WSSubscriptionPolicySupport="false" WSPausableSubscriptionManagerInterfaceSupport="false" MaxNotificationProducers="0" MaxPullPoints="${cam.o.maxPullPoints}" PersistentNotificationStorage="false"/></tev:GetServiceCapabilitiesResponse>`;
    default:
      throw actionNotSupported(op);
  }
}

/** Calls on a subscription endpoint /onvif/subscription/<id> (Core §9.1.2-§9.1.4, WS-BaseNotification §6). */
export async function subscriptionService(
  cam: ServiceCamera,
  op: string,
  el: XmlElement,
  id: number,
  connectionGone: () => boolean = () => false,
): Promise<string> {
  try {
    switch (op) {
      case 'PullMessages': {
        const timeout = Math.min(MAX_PULL_MS, Math.max(0, parseDuration(child(el, NS.tev, 'Timeout')?.text ?? 'PT10S') ?? 10_000));
        const limit = Math.max(1, Math.min(1000, Number(child(el, NS.tev, 'MessageLimit')?.text ?? 100) || 100));
        const list = await cam.store.pull(id, timeout, limit, cam.faults.hangPulls);
        // The connection closed while the pull waited (an outage): keep the messages queued.
        if (connectionGone()) {
          cam.store.requeue(id, list);
          throw new Error('connection closed during PullMessages');
        }
        cam.counters.pulls += 1;
        cam.counters.delivered += list.length;
        const now = cam.deviceNow();
        const sub = cam.store.get(id);
        // CurrentTime with milliseconds, as some firmware sends it (clients may use it to track the clock).
        return `<tev:PullMessagesResponse><tev:CurrentTime>${new Date(now).toISOString()}</tev:CurrentTime><tev:TerminationTime>${isoSeconds(sub.terminationTime)}</tev:TerminationTime>${list.map((n) => notificationXml(n, cam.prefixFor)).join('')}</tev:PullMessagesResponse>`;
      }
      case 'Renew': {
        const now = cam.deviceNow();
        const term = terminationOf(cam, child(el, NS.wsnt, 'TerminationTime')?.text, now);
        cam.store.renew(id, term);
        cam.counters.renewals += 1;
        return `<wsnt:RenewResponse><wsnt:TerminationTime>${isoSeconds(term)}</wsnt:TerminationTime><wsnt:CurrentTime>${isoSeconds(now)}</wsnt:CurrentTime></wsnt:RenewResponse>`;
      }
      case 'Unsubscribe':
        cam.store.unsubscribe(id);
        cam.counters.unsubscribes += 1;
        return '<wsnt:UnsubscribeResponse/>';
      case 'SetSynchronizationPoint': {
        const sub = cam.store.get(id);
        // Core §9.6: re-send the current state of every property as Initialized.
        for (const n of cam.properties.values()) cam.store.publish({ ...n, utcTime: cam.deviceNow(), operation: 'Initialized' }, sub);
        return '<tev:SetSynchronizationPointResponse/>';
      }
      default:
        throw actionNotSupported(op);
    }
  } catch (err) {
    if (err instanceof SubscriptionGone) throw resourceUnknown(err.message);
    throw err;
  }
}

/** A requested termination (duration or absolute), bounded by the camera's own limit. */
function terminationOf(cam: ServiceCamera, text: string | undefined, now: number): number {
  const asked = text ? parseTermination(text, now) : now + DEFAULT_TERMINATION_MS;
  if (asked === undefined || asked <= now) throw invalidArg(`bad termination time ${text}`);
  const cap = cam.faults.maxTerminationMs > 0 ? cam.faults.maxTerminationMs : 3_600_000;
  return Math.min(asked, now + cap);
}

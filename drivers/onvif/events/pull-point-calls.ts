import { formatDuration, parseTermination } from '../soap/duration.js';
import { NS, TOPIC_DIALECT_CONCRETE_SET } from '../soap/namespaces.js';
import { deviceText } from '../transport/device-text.js';
import { OnvifError } from '../transport/onvif-error.js';
import type { SoapClient } from '../transport/soap-client.js';
import { xmlEscape } from '../xml/xml-escape.js';
import { child, path, type XmlElement } from '../xml/xml-element.js';

/**
 * The SOAP exchanges of a pull-point subscription (ONVIF Core §9.1, WS-BaseNotification §6), one
 * function each: what to send and what a valid answer holds. When and why to call them is the
 * supervisor's business (pull-point.ts).
 */

export type TopicFilter = { expression: string; namespaces: Readonly<Record<string, string>> };

/** ONVIF Core §9.1.1 CreatePullPointSubscription: the new pull-point's address and the answer. */
export async function createPullPoint(
  client: SoapClient,
  eventsUrl: URL,
  filter: TopicFilter | undefined,
  initialTerminationMs: number,
  signal: AbortSignal,
): Promise<{ address: URL; response: XmlElement }> {
  const filterXml = filter
    ? `<tev:Filter><wsnt:TopicExpression Dialect="${TOPIC_DIALECT_CONCRETE_SET}"${Object.entries(filter.namespaces)
        .map(([p, uri]) => ` xmlns:${p}="${xmlEscape(uri)}"`)
        .join('')}>${xmlEscape(filter.expression)}</wsnt:TopicExpression></tev:Filter>`
    : '';
  const body = await client.call(
    eventsUrl,
    `<tev:CreatePullPointSubscription>${filterXml}<tev:InitialTerminationTime>${formatDuration(initialTerminationMs)}</tev:InitialTerminationTime></tev:CreatePullPointSubscription>`,
    { action: `${NS.tev}/EventPortType/CreatePullPointSubscriptionRequest`, signal },
  );
  const response = child(body, NS.tev, 'CreatePullPointSubscriptionResponse');
  const addressText = path(response, [NS.tev, 'SubscriptionReference'], [NS.wsa, 'Address'])?.text;
  if (!response || !addressText) throw new OnvifError('E_ONVIF_PROTOCOL', 'CreatePullPointSubscription answer has no SubscriptionReference/Address');
  const address = safeUrl(addressText);
  if (!address) throw new OnvifError('E_ONVIF_PROTOCOL', `subscription address ${deviceText(addressText, 100)} is not a URL`);
  // Cameras behind NAT or with several interfaces name an address we cannot reach: keep our host.
  address.hostname = eventsUrl.hostname;
  return { address, response };
}

/** WS-BaseNotification §6.1 Renew with a relative termination time; the RenewResponse. */
export async function renewPullPoint(client: SoapClient, address: URL, terminationMs: number, signal: AbortSignal): Promise<XmlElement> {
  const body = await client.call(address, `<wsnt:Renew><wsnt:TerminationTime>${formatDuration(terminationMs)}</wsnt:TerminationTime></wsnt:Renew>`, {
    action: `${NS.wsnt}/SubscriptionManager/RenewRequest`,
    to: address.href,
    signal,
  });
  const response = child(body, NS.wsnt, 'RenewResponse');
  if (!response) throw new OnvifError('E_ONVIF_PROTOCOL', 'Renew answer has no RenewResponse');
  return response;
}

/** ONVIF Core §9.1.3 PullMessages, held by the camera up to `holdMs`; the PullMessagesResponse. */
export async function pullMessages(
  client: SoapClient,
  address: URL,
  o: { holdMs: number; messageLimit: number; timeoutMs: number; signal: AbortSignal },
): Promise<XmlElement> {
  const body = await client.call(
    address,
    `<tev:PullMessages><tev:Timeout>${formatDuration(o.holdMs)}</tev:Timeout><tev:MessageLimit>${o.messageLimit}</tev:MessageLimit></tev:PullMessages>`,
    { action: `${NS.tev}/PullPointSubscription/PullMessagesRequest`, to: address.href, timeoutMs: o.timeoutMs, signal: o.signal },
  );
  const response = child(body, NS.tev, 'PullMessagesResponse');
  if (!response) throw new OnvifError('E_ONVIF_PROTOCOL', 'PullMessages answer has no PullMessagesResponse');
  return response;
}

/** ONVIF Core §9.1.4 SetSynchronizationPoint: the camera re-sends every property's current state. */
export async function setSynchronizationPoint(client: SoapClient, address: URL, signal: AbortSignal): Promise<void> {
  await client.call(address, '<tev:SetSynchronizationPoint/>', {
    action: `${NS.tev}/PullPointSubscription/SetSynchronizationPointRequest`,
    to: address.href,
    signal,
  });
}

/** WS-BaseNotification §6.2 Unsubscribe (throws as the call does). */
export async function unsubscribePullPoint(client: SoapClient, address: URL, timeoutMs: number, signal: AbortSignal): Promise<void> {
  await client.call(address, '<wsnt:Unsubscribe/>', { action: `${NS.wsnt}/SubscriptionManager/UnsubscribeRequest`, to: address.href, signal, timeoutMs });
}

/**
 * When to renew and when the camera ends a subscription, in monotonic time, from an answer that
 * carries CurrentTime and TerminationTime. Camera clocks drift, so only the span between the two
 * (both camera time) is used; `fallbackSpanMs` when they are missing or make no sense.
 */
export function subscriptionSchedule(response: XmlElement, sentAt: number, fallbackSpanMs: number): { renewBy: number; expiresAt: number } {
  const cur = parseTermination(child(response, NS.wsnt, 'CurrentTime')?.text ?? child(response, NS.tev, 'CurrentTime')?.text ?? '', 0);
  const term = parseTermination(child(response, NS.wsnt, 'TerminationTime')?.text ?? child(response, NS.tev, 'TerminationTime')?.text ?? '', cur ?? 0);
  const span = cur !== undefined && term !== undefined && term > cur ? term - cur : fallbackSpanMs;
  // Renewed at half its life (as DHCP renews a lease at T1): an outage that spans the renew time
  // must then last half the termination time (60 s by default) before the camera ends the
  // pull-point and the events queued on it. Pulls never hold across renewBy.
  return { renewBy: sentAt + span / 2, expiresAt: sentAt + span };
}

export function safeUrl(text: string): URL | undefined {
  try {
    return new URL(text.trim());
  } catch {
    return undefined;
  }
}

import { NS } from '../soap/namespaces.js';
import { OnvifError } from '../transport/onvif-error.js';
import type { SoapCallOptions, SoapClient } from '../transport/soap-client.js';
import { attr, child, childrenOf, path, type XmlElement } from '../xml/xml-element.js';

/**
 * The Device and Media calls the driver makes, each a request body and a parser for the answer.
 * Sections cite the ONVIF Device Management (Core §8) and Media (ver10 §5, ver20 §5) specs.
 */

export interface DeviceInfo {
  manufacturer: string;
  model: string;
  firmwareVersion: string;
  serialNumber: string;
  hardwareId: string;
}

export interface ServiceMap {
  media?: URL;
  media2?: URL;
  events?: URL;
}

export interface MediaProfile {
  token: string;
  name: string;
  videoSourceToken: string | undefined;
  videoSourceConfigToken: string | undefined;
  width?: number;
  height?: number;
}

const tt = (local: string) => [NS.tt, local] as const;

/** Core §8.3.2 GetSystemDateAndTime (PRE_AUTH): the camera's UTC time in ms. */
export async function getSystemDateAndTime(client: SoapClient, url: URL, opts: SoapCallOptions): Promise<number> {
  const body = await client.call(url, '<tds:GetSystemDateAndTime/>', { ...opts, anonymous: true, action: `${NS.tds}/GetSystemDateAndTime` });
  const sdt = path(body, [NS.tds, 'GetSystemDateAndTimeResponse'], [NS.tds, 'SystemDateAndTime']);
  const utc = child(sdt, NS.tt, 'UTCDateTime');
  const d = child(utc, ...tt('Date'));
  const t = child(utc, ...tt('Time'));
  const n = (el: XmlElement | undefined, local: string) => Number(child(el, NS.tt, local)?.text ?? Number.NaN);
  const ms = Date.UTC(n(d, 'Year'), n(d, 'Month') - 1, n(d, 'Day'), n(t, 'Hour'), n(t, 'Minute'), n(t, 'Second'));
  if (Number.isNaN(ms)) throw new OnvifError('E_ONVIF_PROTOCOL', 'GetSystemDateAndTime answer has no usable UTCDateTime');
  return ms;
}

/** Core §8.3.1 GetDeviceInformation. */
export async function getDeviceInformation(client: SoapClient, url: URL, opts: SoapCallOptions): Promise<DeviceInfo> {
  const body = await client.call(url, '<tds:GetDeviceInformation/>', { ...opts, action: `${NS.tds}/GetDeviceInformation` });
  const r = child(body, NS.tds, 'GetDeviceInformationResponse');
  if (!r) throw new OnvifError('E_ONVIF_PROTOCOL', 'GetDeviceInformation answer has no GetDeviceInformationResponse');
  const f = (local: string) => child(r, NS.tds, local)?.text ?? '';
  return {
    manufacturer: f('Manufacturer'),
    model: f('Model'),
    firmwareVersion: f('FirmwareVersion'),
    serialNumber: f('SerialNumber'),
    hardwareId: f('HardwareId'),
  };
}

/** Core §8.1.2.1 GetServices; falls back to GetCapabilities (§8.1.2.3) on older cameras. */
export async function getServiceMap(client: SoapClient, url: URL, opts: SoapCallOptions): Promise<ServiceMap> {
  const map: ServiceMap = {};
  try {
    const body = await client.call(url, '<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>', {
      ...opts,
      action: `${NS.tds}/GetServices`,
    });
    for (const s of childrenOf(child(body, NS.tds, 'GetServicesResponse'), NS.tds, 'Service')) {
      const ns = child(s, NS.tds, 'Namespace')?.text;
      const xaddr = toUrl(child(s, NS.tds, 'XAddr')?.text, url);
      if (!xaddr) continue;
      if (ns === NS.trt) map.media = xaddr;
      else if (ns === NS.tr2) map.media2 = xaddr;
      else if (ns === NS.tev) map.events = xaddr;
    }
    if (map.media || map.media2) return map;
  } catch (err) {
    // Only a SOAP fault means "not supported"; auth and transport errors are real.
    if (!(err instanceof OnvifError) || err.code !== 'E_ONVIF_FAULT') throw err;
  }
  const body = await client.call(url, '<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>', {
    ...opts,
    action: `${NS.tds}/GetCapabilities`,
  });
  const caps = path(body, [NS.tds, 'GetCapabilitiesResponse'], [NS.tds, 'Capabilities']);
  map.media = toUrl(path(caps, tt('Media'), tt('XAddr'))?.text, url);
  map.events = toUrl(path(caps, tt('Events'), tt('XAddr'))?.text, url);
  return map;
}

/** Media ver10 §5.2.1 GetProfiles. */
export async function getProfiles(client: SoapClient, url: URL, opts: SoapCallOptions): Promise<MediaProfile[]> {
  const body = await client.call(url, '<trt:GetProfiles/>', { ...opts, action: `${NS.trt}/GetProfiles` });
  return childrenOf(child(body, NS.trt, 'GetProfilesResponse'), NS.trt, 'Profiles').map((p) => {
    const vsc = child(p, NS.tt, 'VideoSourceConfiguration');
    const res = path(p, tt('VideoEncoderConfiguration'), tt('Resolution'));
    return {
      token: attr(p, 'token') ?? '',
      name: child(p, NS.tt, 'Name')?.text ?? '',
      videoSourceToken: child(vsc, NS.tt, 'SourceToken')?.text,
      videoSourceConfigToken: attr(vsc, 'token'),
      width: numberOrUndefined(child(res, NS.tt, 'Width')?.text),
      height: numberOrUndefined(child(res, NS.tt, 'Height')?.text),
    };
  });
}

/** Media ver20 §5.2 GetProfiles (Type All). */
export async function getProfiles2(client: SoapClient, url: URL, opts: SoapCallOptions): Promise<MediaProfile[]> {
  const body = await client.call(url, '<tr2:GetProfiles><tr2:Type>All</tr2:Type></tr2:GetProfiles>', { ...opts, action: `${NS.tr2}/GetProfiles` });
  return childrenOf(child(body, NS.tr2, 'GetProfilesResponse'), NS.tr2, 'Profiles').map((p) => {
    const cfg = child(p, NS.tr2, 'Configurations');
    const res = path(cfg, [NS.tr2, 'VideoEncoder'], tt('Resolution'));
    return {
      token: attr(p, 'token') ?? '',
      name: child(p, NS.tt, 'Name')?.text ?? child(p, NS.tr2, 'Name')?.text ?? '',
      videoSourceToken: path(cfg, [NS.tr2, 'VideoSource'], tt('SourceToken'))?.text,
      videoSourceConfigToken: attr(child(cfg, NS.tr2, 'VideoSource'), 'token'),
      width: numberOrUndefined(child(res, NS.tt, 'Width')?.text),
      height: numberOrUndefined(child(res, NS.tt, 'Height')?.text),
    };
  });
}

/** Media ver10 §5.15.1 GetStreamUri (RTP over RTSP), or ver20 GetStreamUri when `media2`. */
export async function getStreamUri(client: SoapClient, url: URL, profile: string, media2: boolean, opts: SoapCallOptions): Promise<string> {
  const body = media2
    ? await client.call(url, `<tr2:GetStreamUri><tr2:Protocol>RTSP</tr2:Protocol><tr2:ProfileToken>${esc(profile)}</tr2:ProfileToken></tr2:GetStreamUri>`, {
        ...opts,
        action: `${NS.tr2}/GetStreamUri`,
      })
    : await client.call(
        url,
        `<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup><trt:ProfileToken>${esc(profile)}</trt:ProfileToken></trt:GetStreamUri>`,
        { ...opts, action: `${NS.trt}/GetStreamUri` },
      );
  const uri = media2
    ? path(body, [NS.tr2, 'GetStreamUriResponse'], [NS.tr2, 'Uri'])?.text
    : path(body, [NS.trt, 'GetStreamUriResponse'], [NS.trt, 'MediaUri'], tt('Uri'))?.text;
  if (!uri) throw new OnvifError('E_ONVIF_PROTOCOL', `GetStreamUri for profile ${profile} has no Uri`);
  return uri;
}

/** Media ver10 §5.16.1 GetSnapshotUri, or ver20's. */
export async function getSnapshotUri(client: SoapClient, url: URL, profile: string, media2: boolean, opts: SoapCallOptions): Promise<string> {
  const body = media2
    ? await client.call(url, `<tr2:GetSnapshotUri><tr2:ProfileToken>${esc(profile)}</tr2:ProfileToken></tr2:GetSnapshotUri>`, {
        ...opts,
        action: `${NS.tr2}/GetSnapshotUri`,
      })
    : await client.call(url, `<trt:GetSnapshotUri><trt:ProfileToken>${esc(profile)}</trt:ProfileToken></trt:GetSnapshotUri>`, {
        ...opts,
        action: `${NS.trt}/GetSnapshotUri`,
      });
  const uri = media2
    ? path(body, [NS.tr2, 'GetSnapshotUriResponse'], [NS.tr2, 'Uri'])?.text
    : path(body, [NS.trt, 'GetSnapshotUriResponse'], [NS.trt, 'MediaUri'], tt('Uri'))?.text;
  if (!uri) throw new OnvifError('E_ONVIF_PROTOCOL', `GetSnapshotUri for profile ${profile} has no Uri`);
  return uri;
}

function esc(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function numberOrUndefined(s: string | undefined): number | undefined {
  const n = Number(s);
  return s !== undefined && Number.isFinite(n) ? n : undefined;
}

/**
 * An XAddr as a URL. Cameras behind NAT or with a wrong network setting advertise a host we
 * cannot reach; we keep the advertised port and path and use the host we were configured with.
 */
export function toUrl(text: string | undefined, base: URL): URL | undefined {
  if (!text) return undefined;
  try {
    const u = new URL(text.trim().split(/\s+/)[0]!);
    u.hostname = base.hostname;
    return u;
  } catch {
    return undefined;
  }
}

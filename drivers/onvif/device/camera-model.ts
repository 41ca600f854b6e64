import { OnvifError } from '../transport/onvif-error.js';
import type { SoapCallOptions, SoapClient } from '../transport/soap-client.js';
import {
  type DeviceInfo,
  getDeviceInformation,
  getProfiles,
  getProfiles2,
  getServiceMap,
  getSnapshotUri,
  getStreamUri,
  type MediaProfile,
  type ServiceMap,
} from './device-calls.js';

/** One video channel: a camera has one, an NVR one per video source. */
export interface Channel {
  /** 1-based, in the order the device lists its video sources. */
  channel: number;
  sourceToken: string;
  profileToken: string;
  streamUri?: string;
  snapshotUri?: string;
  /** Every token that names this channel in notifications (source, source configuration, profiles). */
  tokens: string[];
}

/** What the driver learned about a device when it connected. Frozen once built. */
export interface CameraModel {
  info: DeviceInfo;
  services: ServiceMap;
  media2: boolean;
  channels: Channel[];
}

/**
 * Reads information, services, profiles and per-channel URIs (ONVIF Core §8, Media §5). The first
 * profile of each video source is the channel's main stream, as cameras list main before sub.
 */
export async function readCameraModel(client: SoapClient, deviceUrl: URL, useMedia2: boolean, opts: SoapCallOptions): Promise<CameraModel> {
  const info = await getDeviceInformation(client, deviceUrl, opts);
  const services = await getServiceMap(client, deviceUrl, opts);
  const media2 = useMedia2 && services.media2 !== undefined;
  const mediaUrl = media2 ? services.media2 : services.media;
  if (!mediaUrl) throw new OnvifError('E_ONVIF_PROTOCOL', 'the device offers no Media service');
  let profiles: MediaProfile[] = media2 ? await getProfiles2(client, mediaUrl, opts) : await getProfiles(client, mediaUrl, opts);
  profiles = profiles.filter((p) => p.token);
  if (profiles.length === 0) throw new OnvifError('E_ONVIF_PROTOCOL', 'the device has no media profiles');
  const bySource = new Map<string, MediaProfile[]>();
  for (const p of profiles) {
    const key = p.videoSourceToken ?? `profile:${p.token}`;
    bySource.set(key, [...(bySource.get(key) ?? []), p]);
  }
  const channels: Channel[] = [];
  for (const [sourceToken, list] of bySource) {
    const main = list[0]!;
    const ch: Channel = {
      channel: channels.length + 1,
      sourceToken,
      profileToken: main.token,
      tokens: [sourceToken, ...list.map((p) => p.token), ...list.flatMap((p) => (p.videoSourceConfigToken ? [p.videoSourceConfigToken] : []))],
    };
    // A missing stream or snapshot URI leaves that feature off for the channel, not the device.
    ch.streamUri = await getStreamUri(client, mediaUrl, main.token, media2, opts).catch(rethrowUnlessFault);
    ch.snapshotUri = await getSnapshotUri(client, mediaUrl, main.token, media2, opts).catch(rethrowUnlessFault);
    channels.push(ch);
  }
  return { info, services, media2, channels };
}

function rethrowUnlessFault(err: unknown): undefined {
  if (err instanceof OnvifError && (err.code === 'E_ONVIF_FAULT' || err.code === 'E_ONVIF_PROTOCOL')) return undefined;
  throw err;
}

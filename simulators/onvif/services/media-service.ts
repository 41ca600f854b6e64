import type { ServiceCamera } from '../camera-shape.js';
import { actionNotSupported, invalidArg } from '../sim-soap.js';
import { xmlEscape as x } from '../../../drivers/onvif/xml/xml-escape.js';

/** Two profiles per channel, main then sub, as most cameras list them. */
function profilesOf(cam: ServiceCamera) {
  const out: Array<{ token: string; channel: number; stream: 'main' | 'sub'; width: number; height: number }> = [];
  for (let c = 1; c <= cam.o.channels; c++) {
    out.push({ token: `Profile_${c}_main`, channel: c, stream: 'main', width: 1920, height: 1080 });
    out.push({ token: `Profile_${c}_sub`, channel: c, stream: 'sub', width: 640, height: 360 });
  }
  return out;
}

function findProfile(cam: ServiceCamera, token: string | undefined) {
  const p = profilesOf(cam).find((q) => q.token === token);
  if (!p) throw invalidArg(`no profile ${token ?? '(none)'}`);
  return p;
}

function streamUri(cam: ServiceCamera, channel: number, stream: string): string {
  const auth = cam.o.streamCredentials ? `${encodeURIComponent(cam.o.credentials.username)}:${encodeURIComponent(cam.o.credentials.password)}@` : '';
  return `rtsp://${auth}${cam.o.host}:${cam.o.rtspPort}/ch${channel}/${stream}`;
}

/** Media service ver10 (ONVIF Media §5). */
export function mediaService(cam: ServiceCamera, op: string, arg: (local: string) => string | undefined): string {
  switch (op) {
    case 'GetProfiles':
      return `<trt:GetProfilesResponse>${profilesOf(cam)
        .map(
          (p) =>
            `<trt:Profiles token="${p.token}" fixed="true"><tt:Name>ch${p.channel}-${p.stream}</tt:Name>` +
            `<tt:VideoSourceConfiguration token="VSC_${p.channel}"><tt:Name>VSC_${p.channel}</tt:Name><tt:UseCount>2</tt:UseCount><tt:SourceToken>VS_${p.channel}</tt:SourceToken><tt:Bounds x="0" y="0" width="1920" height="1080"/></tt:VideoSourceConfiguration>` +
            `<tt:VideoEncoderConfiguration token="VEC_${p.channel}_${p.stream}"><tt:Name>VEC_${p.channel}_${p.stream}</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding>` +
            `<tt:Resolution><tt:Width>${p.width}</tt:Width><tt:Height>${p.height}</tt:Height></tt:Resolution><tt:Quality>4</tt:Quality>` +
            `<tt:RateControl><tt:FrameRateLimit>25</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>${p.stream === 'main' ? 4096 : 512}</tt:BitrateLimit></tt:RateControl>` +
            `<tt:SessionTimeout>PT60S</tt:SessionTimeout></tt:VideoEncoderConfiguration></trt:Profiles>`,
        )
        .join('')}</trt:GetProfilesResponse>`;
    case 'GetVideoSources':
      return `<trt:GetVideoSourcesResponse>${Array.from({ length: cam.o.channels }, (_, i) => `<trt:VideoSources token="VS_${i + 1}"><tt:Framerate>25</tt:Framerate><tt:Resolution><tt:Width>1920</tt:Width><tt:Height>1080</tt:Height></tt:Resolution></trt:VideoSources>`).join('')}</trt:GetVideoSourcesResponse>`;
    case 'GetStreamUri': {
      const p = findProfile(cam, arg('ProfileToken'));
      return `<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>${x(streamUri(cam, p.channel, p.stream))}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:GetStreamUriResponse>`;
    }
    case 'GetSnapshotUri': {
      const p = findProfile(cam, arg('ProfileToken'));
      return `<trt:GetSnapshotUriResponse><trt:MediaUri><tt:Uri>${x(`${cam.baseUrl}/onvif/snapshot?channel=${p.channel}`)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:GetSnapshotUriResponse>`;
    }
    default:
      throw actionNotSupported(op);
  }
}

/** Media service ver20 (ONVIF Media2 §5): profiles with Configurations, bare Uri answers. */
export function media2Service(cam: ServiceCamera, op: string, arg: (local: string) => string | undefined): string {
  switch (op) {
    case 'GetProfiles':
      return `<tr2:GetProfilesResponse>${profilesOf(cam)
        .map(
          (p) =>
            `<tr2:Profiles token="${p.token}" fixed="true"><tr2:Name>ch${p.channel}-${p.stream}</tr2:Name><tr2:Configurations>` +
            `<tr2:VideoSource token="VSC_${p.channel}"><tt:Name>VSC_${p.channel}</tt:Name><tt:UseCount>2</tt:UseCount><tt:SourceToken>VS_${p.channel}</tt:SourceToken><tt:Bounds x="0" y="0" width="1920" height="1080"/></tr2:VideoSource>` +
            `<tr2:VideoEncoder token="VEC_${p.channel}_${p.stream}" GovLength="50" Profile="Main"><tt:Name>VEC_${p.channel}_${p.stream}</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding>` +
            `<tt:Resolution><tt:Width>${p.width}</tt:Width><tt:Height>${p.height}</tt:Height></tt:Resolution><tt:Quality>4</tt:Quality></tr2:VideoEncoder>` +
            `</tr2:Configurations></tr2:Profiles>`,
        )
        .join('')}</tr2:GetProfilesResponse>`;
    case 'GetStreamUri': {
      const p = findProfile(cam, arg('ProfileToken'));
      return `<tr2:GetStreamUriResponse><tr2:Uri>${x(streamUri(cam, p.channel, p.stream))}</tr2:Uri></tr2:GetStreamUriResponse>`;
    }
    case 'GetSnapshotUri': {
      const p = findProfile(cam, arg('ProfileToken'));
      return `<tr2:GetSnapshotUriResponse><tr2:Uri>${x(`${cam.baseUrl}/onvif/snapshot?channel=${p.channel}`)}</tr2:Uri></tr2:GetSnapshotUriResponse>`;
    }
    default:
      throw actionNotSupported(op);
  }
}

import type { ServiceCamera } from '../camera-shape.js';
import { actionNotSupported } from '../sim-soap.js';
import { xmlEscape as x } from '../../../drivers/onvif/xml/xml-escape.js';
import { NS } from '../../../drivers/onvif/soap/namespaces.js';

/** Device service (ONVIF Core §8): the calls clients make at connect time. */
export function deviceService(cam: ServiceCamera, op: string): string {
  switch (op) {
    case 'GetSystemDateAndTime': {
      const d = new Date(cam.deviceNow());
      return (
        `<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>` +
        `<tt:TimeZone><tt:TZ>UTC0</tt:TZ></tt:TimeZone><tt:UTCDateTime><tt:Time><tt:Hour>${d.getUTCHours()}</tt:Hour><tt:Minute>${d.getUTCMinutes()}</tt:Minute><tt:Second>${d.getUTCSeconds()}</tt:Second></tt:Time>` +
        `<tt:Date><tt:Year>${d.getUTCFullYear()}</tt:Year><tt:Month>${d.getUTCMonth() + 1}</tt:Month><tt:Day>${d.getUTCDate()}</tt:Day></tt:Date></tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>`
      );
    }
    case 'GetDeviceInformation':
      return `<tds:GetDeviceInformationResponse><tds:Manufacturer>${x(cam.o.manufacturer)}</tds:Manufacturer><tds:Model>${x(cam.o.model)}</tds:Model><tds:FirmwareVersion>${x(cam.o.firmware)}</tds:FirmwareVersion><tds:SerialNumber>${x(cam.serial)}</tds:SerialNumber><tds:HardwareId>${x(cam.o.model)}-HW</tds:HardwareId></tds:GetDeviceInformationResponse>`;
    case 'GetServices': {
      const svc = (ns: string, path: string, major: number, minor: number) =>
        `<tds:Service><tds:Namespace>${ns}</tds:Namespace><tds:XAddr>${cam.baseUrl}${path}</tds:XAddr><tds:Version><tt:Major>${major}</tt:Major><tt:Minor>${minor}</tt:Minor></tds:Version></tds:Service>`;
      return `<tds:GetServicesResponse>${svc(NS.tds, '/onvif/device_service', 2, 60)}${svc(NS.trt, '/onvif/media_service', 2, 60)}${cam.o.media2 ? svc(NS.tr2, '/onvif/media2_service', 2, 60) : ''}${svc(NS.tev, '/onvif/events_service', 2, 60)}</tds:GetServicesResponse>`;
    }
    case 'GetCapabilities':
      return (
        `<tds:GetCapabilitiesResponse><tds:Capabilities>` +
        `<tt:Device><tt:XAddr>${cam.baseUrl}/onvif/device_service</tt:XAddr></tt:Device>` +
        `<tt:Events><tt:XAddr>${cam.baseUrl}/onvif/events_service</tt:XAddr><tt:WSSubscriptionPolicySupport>false</tt:WSSubscriptionPolicySupport><tt:WSPullPointSupport>true</tt:WSPullPointSupport><tt:WSPausableSubscriptionManagerInterfaceSupport>false</tt:WSPausableSubscriptionManagerInterfaceSupport></tt:Events>` +
        `<tt:Media><tt:XAddr>${cam.baseUrl}/onvif/media_service</tt:XAddr><tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media>` +
        `</tds:Capabilities></tds:GetCapabilitiesResponse>`
      );
    case 'GetScopes':
      return `<tds:GetScopesResponse>${cam.scopes.map((s) => `<tds:Scopes><tt:ScopeDef>Fixed</tt:ScopeDef><tt:ScopeItem>${x(s)}</tt:ScopeItem></tds:Scopes>`).join('')}</tds:GetScopesResponse>`;
    default:
      throw actionNotSupported(op);
  }
}

/** Calls allowed without credentials (ONVIF Core §5.9.4.3, access class PRE_AUTH). */
export const PRE_AUTH_OPERATIONS = new Set([
  'GetSystemDateAndTime',
  'GetCapabilities',
  'GetServices',
  'GetServiceCapabilities',
  'GetEndpointReference',
  'GetWsdlUrl',
]);

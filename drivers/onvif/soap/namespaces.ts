/**
 * Namespace URIs. Elements and topic prefixes are always matched by URI, never by the prefix
 * text a camera happens to use (`tns1:`, `tt:`, `ns2:` are the sender's choice; XML Namespaces
 * 1.0 §3-§5).
 */
export const NS = {
  soap: 'http://www.w3.org/2003/05/soap-envelope',
  wsa: 'http://www.w3.org/2005/08/addressing',
  wsaDiscovery: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  wsd: 'http://schemas.xmlsoap.org/ws/2005/04/discovery',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  wsnt: 'http://docs.oasis-open.org/wsn/b-2',
  wsrf: 'http://docs.oasis-open.org/wsrf/bf-2',
  tt: 'http://www.onvif.org/ver10/schema',
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  trt: 'http://www.onvif.org/ver10/media/wsdl',
  tr2: 'http://www.onvif.org/ver20/media/wsdl',
  tev: 'http://www.onvif.org/ver10/events/wsdl',
  ter: 'http://www.onvif.org/ver10/error',
  tns1: 'http://www.onvif.org/ver10/topics',
  dn: 'http://www.onvif.org/ver10/network/wsdl',
} as const;

/** WS-Security UsernameToken profile 1.0 §3.1 password type URIs. */
export const PASSWORD_DIGEST_TYPE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest';
export const BASE64_ENCODING_TYPE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary';

/** WS-BaseNotification §4.2 topic expression dialects. */
export const TOPIC_DIALECT_CONCRETE_SET = 'http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet';

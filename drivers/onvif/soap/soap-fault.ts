/** A SOAP fault as the driver sees it: the code and subcodes resolved to namespace URIs (its own file: the error class and the envelope parser both need it). */
export interface SoapFault {
  code: string;
  subcodes: Array<{ ns: string; local: string }>;
  reason: string;
}

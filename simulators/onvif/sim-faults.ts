/** What can go wrong with a simulated camera, set through the control API or CLI. */
export interface SimFaults {
  /** The camera stops listening (connections refused) until cleared; a restart: its pull-points are gone. */
  offline: boolean;
  /**
   * The network path is down (connections closed and refused) but the camera keeps running: its
   * pull-points live on (until their termination time) and keep queueing events, as on a cable blip.
   */
  unreachable: boolean;
  /** Every answer is delayed by this many ms. */
  slowMs: number;
  /** Every authenticated call answers ter:NotAuthorized (a changed password, a locked account). */
  notAuthorized: boolean;
  /** Answers are replaced by broken or hostile XML. */
  malformed: false | 'truncated' | 'garbage' | 'xxe' | 'billion-laughs' | 'oversized';
  /** The simulated device clock runs this far ahead (negative: behind), ms. */
  clockSkewMs: number;
  /** Subscriptions end this long after creation or renewal regardless of what was asked (ms; 0 = honour the request). */
  maxTerminationMs: number;
  /** PullMessages never answers (a hung pull-point). */
  hangPulls: boolean;
  /** PullMessages answers, but events stop reaching subscriptions (a silently dead pull-point). */
  silentSubscriptions: boolean;
  /** The next N CreatePullPointSubscription calls create the pull-point, then the connection drops before the answer. */
  dropCreateAnswers: number;
  /** Snapshot GETs are never answered (a camera busy encoding, a stuck web server); the client's timeout ends them. */
  hangSnapshots: boolean;
}

export const NO_FAULTS: Readonly<SimFaults> = Object.freeze({
  offline: false,
  unreachable: false,
  slowMs: 0,
  notAuthorized: false,
  malformed: false,
  clockSkewMs: 0,
  maxTerminationMs: 0,
  hangPulls: false,
  silentSubscriptions: false,
  dropCreateAnswers: 0,
  hangSnapshots: false,
});

/** Hostile or broken bodies for the `malformed` fault. */
export function malformedBody(kind: Exclude<SimFaults['malformed'], false>): string {
  switch (kind) {
    case 'truncated':
      return '<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><tds:GetDevice';
    case 'garbage':
      return 'HTTP/1.1 200 OK\r\n\u0000\u0001 not xml at all';
    case 'xxe':
      return '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>&x;</s:Body></s:Envelope>';
    case 'billion-laughs':
      return `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('')}]><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>&lol9;</s:Body></s:Envelope>`;
    case 'oversized':
      return `<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><x>${'A'.repeat(4 * 1024 * 1024)}</x></s:Body></s:Envelope>`;
  }
}

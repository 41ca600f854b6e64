import { describe, expect, it } from 'vitest';
import { publicStreamError } from '../../gateway/ui/live-url.js';

describe('what a viewer is told when a stream fails', () => {
  it('names the last cause ffmpeg reported: a 404 after the digest challenge (401) is a missing stream', () => {
    const stderr = [
      '[rtsp @ 0x1] method DESCRIBE failed: 401 Unauthorized',
      '[rtsp @ 0x1] method DESCRIBE failed: 404 Not Found',
      'rtsp://127.0.0.1:8554/nope: Server returned 404 Not Found',
    ].join('\n');
    expect(publicStreamError(stderr)).toBe('the camera has no such stream (404)');
  });

  it('a refused password stays a refused password, and unknown text a generic cause', () => {
    expect(
      publicStreamError('[rtsp @ 0x1] method DESCRIBE failed: 401 Unauthorized\nrtsp://x/live: Server returned 401 Unauthorized (authorization failed)'),
    ).toBe('the camera refused the user name or password (401)');
    expect(publicStreamError('something odd happened')).toBe('the stream could not be opened (the gateway log has the details)');
  });
});

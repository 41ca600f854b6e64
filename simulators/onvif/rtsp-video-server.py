#!/usr/bin/python3
"""Live video for the simulated cameras: GStreamer's RTSP server (Debian python3-gi,
gir1.2-gst-rtsp-server-1.0; x264enc from gstreamer1.0-plugins-ugly) serving a moving test
pattern as H.264 on each given path (the simulated cameras' stream URIs, /chN/main and /chN/sub),
with basic auth. Usage: rtsp-video-server.py HOST PORT USER PASSWORD PATH[,PATH...]
Prints the bound port on stdout, then serves until killed. Each path is one shared media: any
number of viewers cost one encoder."""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

Gst.init(None)
host, port, user, password, paths = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5].split(",")
server = GstRtspServer.RTSPServer()
server.set_address(host)
server.set_service(port)
auth = GstRtspServer.RTSPAuth()
token = GstRtspServer.RTSPToken()
token.set_string("media.factory.role", user)
auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
server.set_auth(auth)
for path in paths:
    main = path.endswith("/main")
    size = "width=640,height=360" if main else "width=320,height=180"
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(
        # Main: colour bars scrolling sideways (plainly not blank, plainly moving); sub: a bouncing ball.
        f"( videotestsrc is-live=true {'pattern=smpte horizontal-speed=2' if main else 'pattern=ball'} ! video/x-raw,{size},framerate=15/1 "
        "! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 bitrate=600 "
        "! rtph264pay name=pay0 pt=96 config-interval=1 )"
    )
    factory.set_shared(True)
    permissions = GstRtspServer.RTSPPermissions()
    permissions.add_permission_for_role(user, "media.factory.access", True)
    permissions.add_permission_for_role(user, "media.factory.construct", True)
    factory.set_permissions(permissions)
    server.get_mount_points().add_factory(path, factory)
if server.attach(None) == 0:
    sys.exit(f"cannot listen on {host}:{port}")
print(server.get_bound_port(), flush=True)
GLib.MainLoop().run()

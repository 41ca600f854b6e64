#!/usr/bin/python3
"""A real RTSP server for the live-view test: GStreamer's RTSP server (Debian gir1.2-gst-rtsp-server-1.0,
python3-gi) serving a test pattern as H.264 at rtsp://127.0.0.1:PORT/live with user/password.
Prints the bound port on stdout, then serves until killed."""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

Gst.init(None)
user, password = sys.argv[1], sys.argv[2]
server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service("0")
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(
    "( videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=15/1 "
    "! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 ! rtph264pay name=pay0 pt=96 config-interval=1 )"
)
factory.set_shared(True)
auth = GstRtspServer.RTSPAuth()
token = GstRtspServer.RTSPToken()
token.set_string("media.factory.role", user)
auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
server.set_auth(auth)
permissions = GstRtspServer.RTSPPermissions()
permissions.add_permission_for_role(user, "media.factory.access", True)
permissions.add_permission_for_role(user, "media.factory.construct", True)
factory.set_permissions(permissions)
server.get_mount_points().add_factory("/live", factory)
server.attach(None)
print(server.get_bound_port(), flush=True)
GLib.MainLoop().run()

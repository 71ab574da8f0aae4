from django.conf import settings
from django.urls import path

from realtime import views

_stream = "sse/environments/<str:key>/stream"

urlpatterns = [path(_stream, views.stream_elsewhere, name="realtime-stream")]
if settings.REALTIME_PATH_PREFIX:
    urlpatterns.append(path(f"{settings.REALTIME_PATH_PREFIX}/{_stream}", views.stream_elsewhere))

"""The project's URLs plus the plain-DRF baseline (bench/baseline.py), for the bench's server."""

from django.urls import path

from bench.baseline import ArticleList
from config.urls import urlpatterns as project

urlpatterns = [path("bench/drf-articles/", ArticleList.as_view()), *project]

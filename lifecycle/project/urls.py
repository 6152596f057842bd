"""URL map: pages, Django admin, and the REST API under /api/v1/."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView

api_v1: list[URLPattern | URLResolver] = [
    path("", include("lifecycle.engine.api.urls")),
    path("", include("datacenters.api")),
    path("", include("products.api")),
    path("", include("environments.api")),
    path("schema", SpectacularAPIView.as_view(), name="api-schema"),
]

urlpatterns = [
    path("", include("lifecycle.engine.urls")),
    path("datacenters/", include("datacenters.urls")),
    path("environments/", include("environments.urls")),
    path("repository/", include("products.urls")),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
]

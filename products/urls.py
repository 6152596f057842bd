"""Pages of the repository of product binaries (included at "/repository/")."""

from django.urls import path

from products import views

urlpatterns = [
    path("", views.repository_list, name="repository-list"),
    path("scan/", views.repository_scan, name="repository-scan"),
    path("<int:file_id>/", views.repository_file, name="repository-file"),
]

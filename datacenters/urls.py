"""Pages of datacenter components (included at "/datacenters/").

Pages of the collection sit under "-/" (GitLab's convention): no component name can start with "-",
so a component named "register" still has its own page.
"""

from django.urls import path

from datacenters import views

urlpatterns = [
    path("", views.datacenter_list, name="datacenter-list"),
    path("-/register/", views.datacenter_register, name="datacenter-register"),
    path("<str:component_name>/", views.datacenter_detail, name="datacenter-detail"),
    path("<str:component_name>/discover/", views.datacenter_discover, name="datacenter-discover"),
    path("<str:component_name>/update/", views.datacenter_update, name="datacenter-update"),
    path("<str:component_name>/certificate/", views.datacenter_certificate, name="datacenter-certificate"),
    path("<str:component_name>/delete/", views.datacenter_delete, name="datacenter-delete"),
    # Port group names may hold "/": the name is the rest of the path.
    path("<str:component_name>/networks/<path:port_group_name>", views.datacenter_network, name="datacenter-network"),
]

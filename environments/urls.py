"""Pages of environments (included at "/environments/").

Pages of the collection sit under "-/" (as for datacenters): no environment ID can start with "-".
"""

from django.urls import path

from environments import views
from environments.wizard import views as wizard_views

urlpatterns = [
    path("", views.environment_list, name="environment-list"),
    path("-/new/", wizard_views.environment_new, name="environment-new"),
    path("-/import/", views.environment_import, name="environment-import"),
    path("-/wizard/<str:wizard_id>/<slug:step>/", wizard_views.environment_wizard, name="environment-wizard"),
    path("-/options/<slug:kind>/", wizard_views.environment_options, name="environment-options"),
    path("-/port-group/", wizard_views.environment_port_group, name="environment-port-group"),
    path("<str:environment_id>/", views.environment_detail, name="environment-detail"),
    path("<str:environment_id>/validate/", views.environment_validate, name="environment-validate"),
    path("<str:environment_id>/export/", views.environment_export, name="environment-export"),
    path("<str:environment_id>/add-product/", wizard_views.environment_add_product, name="environment-add-product"),
    path("<str:environment_id>/deploy/", views.environment_deploy, name="environment-deploy"),
    path("<str:environment_id>/delete/", views.environment_delete, name="environment-delete"),
    path("<str:environment_id>/products/<str:product_id>/delete/", views.environment_delete, name="product-delete"),
]

from django.apps import AppConfig


class DatacentersConfig(AppConfig):
    name = "datacenters"
    verbose_name = "Datacenter components"

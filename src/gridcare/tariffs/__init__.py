"""The tariff catalog (电价目录): tariffs and their dated versions, loaded from files, the admin
or OpenEI URDB records (docs/tariffs.md)."""

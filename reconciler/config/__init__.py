from reconciler.config.loader import LoadedConfig, load_config
from reconciler.config.models import (
                                      CheckConfig,
                                      ColumnConfig,
                                      Config,
                                      DatasetConfig,
                                      DiffConfig,
                                      JobConfig,
                                      SideConfig,
                                      SourceConfig,
)

__all__ = ["load_config", "LoadedConfig", "Config", "DatasetConfig", "SideConfig", "ColumnConfig",
           "DiffConfig", "CheckConfig", "JobConfig", "SourceConfig"]

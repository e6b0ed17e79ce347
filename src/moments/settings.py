"""One settings object, read from environment variables (``MOMENTS_*``) or a TOML file."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_DATABASE = "moments.duckdb"


def _config_file() -> Path:
    return Path(os.environ.get("MOMENTS_CONFIG", "moments.toml"))


class Settings(BaseSettings):
    """Configuration with defaults that work on a fresh machine.

    Precedence: explicit arguments > ``MOMENTS_*`` environment variables > the TOML file named by
    ``MOMENTS_CONFIG`` (default ``./moments.toml``) > defaults.
    """

    model_config = SettingsConfigDict(env_prefix="MOMENTS_", extra="ignore")

    database_url: str = Field(
        DEFAULT_DATABASE,
        description="Where the store lives: a DuckDB file path, duckdb:///path, "
        "postgresql://user:password@host:port/database or spark://MASTER?warehouse=/path "
        "(MASTER: local[2] or a cluster's host:port).",
    )
    text_backend: str = Field(
        "none",
        description="Text judge used for lived moments with only words as evidence ('none' = off "
        "unless text_model is set; 'model' or a model file's path = a trained model).",
    )
    text_model: str | None = Field(
        None,
        description="A text model trained with 'moments text train': judges lived moments with "
        "only words as evidence.",
    )
    secret_key: str | None = Field(
        None,
        description="Signs survey links; without it a random secret is kept in the store.",
    )
    memory_limit: str | None = Field(
        None,
        description="Most memory the engine may use, e.g. '4GB': DuckDB spills to disk beyond "
        "it (default: its own, 80% of RAM); Spark gets it as its driver's heap unless "
        "spark_driver_memory is set. PostgreSQL's memory is its server's to set.",
    )
    spark_driver_memory: str | None = Field(
        None,
        description="Spark's driver heap, e.g. '8g' or '8GB' (default: memory_limit, else a "
        "quarter of the machine's memory, 2-16 GB). In local mode the driver does all the work. "
        "Read when the process starts Spark.",
    )
    timezone: str | None = Field(
        None,
        description="Time zone assumed for timestamps written without one (default: reject them).",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_config_file())
        return (init_settings, env_settings, toml)

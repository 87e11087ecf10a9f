"""A synthetic housing market with known truths (trend per region, noise that grows with the
price), for the valuation engine's tests: a few thousand rows, fitted in seconds."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

REGIONS = {  # code: (centre lat, centre lon, log level per m², monthly trend)
    "360102": (28.68, 115.90, np.log(15000.0), 0.010),
    "360111": (28.72, 115.95, np.log(11000.0), 0.004),
    "360113": (28.64, 115.85, np.log(8000.0), -0.002),
}

SPEC: dict[str, Any] = {
    "dataset": "合成市场（测试）",
    "asset_class": "residential",
    "currency": "CNY",
    "area_unit": "m2",
    "region": "测试",
    "columns": {},
    "recipe": {
        "area": "area_m2",
        "numeric": ["rooms", "floor"],
        "year_built": "year_built",
        "target_encode": ["division_code"],
        "lat": "lat",
        "lon": "lon",
    },
}


def market(
    n: int = 3000,
    *,
    seed: int = 0,
    months: int = 48,
    start: str = "2019-01-01",
    hetero: bool = True,
    trend: bool = True,
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    codes = list(REGIONS)
    region = rng.choice(codes, size=n)
    month = rng.integers(0, months, size=n)
    day = rng.integers(0, 28, size=n)
    dates = pd.to_datetime(start) + pd.to_timedelta(month * 30.4375 + day, unit="D")
    area = np.exp(rng.normal(np.log(90.0), 0.3, size=n))
    rooms = np.clip(np.round(area / 30), 1, 6)
    floor = rng.integers(1, 30, size=n)
    year_built = rng.integers(1990, 2019, size=n)
    lat = np.array([REGIONS[c][0] for c in region]) + rng.normal(0, 0.01, size=n)
    lon = np.array([REGIONS[c][1] for c in region]) + rng.normal(0, 0.01, size=n)
    base = np.array([REGIONS[c][2] for c in region])
    trend_ = np.array([REGIONS[c][3] for c in region]) * month * float(trend)
    quality = 0.004 * (year_built - 2005) + 0.002 * floor
    # Noise grows with the size of the flat (larger flats: wider spread), so a single
    # multiplicative width cannot cover every decile.
    sd = 0.03 + 0.25 * (area > np.quantile(area, 0.7)) if hetero else np.full(n, 0.1)
    log_price = base + np.log(area) + trend_ + quality + rng.normal(0, 1, size=n) * sd
    df = pd.DataFrame(
        {
            "sale_date": dates,
            "price": np.round(np.exp(log_price), -2),
            "area_m2": np.round(area, 2),
            "rooms": rooms,
            "floor": floor,
            "year_built": year_built,
            "division_code": region,
            "lat": lat,
            "lon": lon,
        }
    )
    return df.sort_values("sale_date", kind="stable").reset_index(drop=True)

"""Generate ``demo_nanchang_flats.csv``: SYNTHETIC flat sales for the demo (not real transactions).

The demo court has no records of its own, and the public data sets are foreign (USD/EUR):
their prices must never be shown as Chinese market prices. So the demo model learns from this
invented table, in the shape a court's export would have (Chinese column names, yuan). Every
number comes from the formula below with a fixed seed; nothing here is a market observation.

    python data/make_demo_nanchang_flats.py   # rewrites the CSV (deterministic)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).with_name("demo_nanchang_flats.csv")
# district code, name, centre (lat, lon), invented base price per m² (yuan)
DISTRICTS = [
    ("360102", "东湖区", 28.690, 115.905, 15000),
    ("360103", "西湖区", 28.660, 115.885, 15000),
    ("360104", "青云谱区", 28.625, 115.925, 12000),
    ("360111", "青山湖区", 28.690, 115.960, 13500),
    ("360112", "新建区", 28.695, 115.815, 9000),
    ("360113", "红谷滩区", 28.695, 115.850, 20000),
]


def generate(n: int = 2400, seed: int = 20261102) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d = rng.integers(0, len(DISTRICTS), n)
    code = np.array([DISTRICTS[i][0] for i in d])
    lat = np.array([DISTRICTS[i][2] for i in d]) + rng.normal(0, 0.012, n)
    lon = np.array([DISTRICTS[i][3] for i in d]) + rng.normal(0, 0.012, n)
    base = np.array([DISTRICTS[i][4] for i in d], dtype=float)
    area = np.clip(rng.lognormal(np.log(95), 0.3, n), 35, 260).round(2)
    rooms = np.clip(np.round(area / 38 + rng.normal(0, 0.5, n)), 1, 6).astype(int)
    total = rng.choice([6, 7, 11, 18, 26, 33], n, p=[0.2, 0.1, 0.15, 0.25, 0.2, 0.1])
    floor = np.array([rng.integers(1, t + 1) for t in total])
    year = rng.integers(1995, 2023, n)
    days = rng.integers(0, 1369, n)  # 2023-01-01 .. 2026-09-30
    date = pd.Timestamp("2023-01-01") + pd.to_timedelta(days, unit="D")
    months = days / 30.44
    price_m2 = base * (1 - 0.003) ** months  # a gently falling market
    price_m2 *= (1 - 0.008) ** (2026 - year)  # older buildings trade lower
    price_m2 *= np.where(
        floor == 1, 0.95, np.where(floor == total, 0.97, 1.0 + 0.002 * np.minimum(floor, 15))
    )
    price_m2 *= 1 + 0.06 * np.sin(lat * 180) * np.cos(lon * 150)  # micro-location
    price_m2 *= np.where(total >= 18, 1.03, 1.0)  # lifts
    price_m2 *= rng.lognormal(0, 0.08, n)
    price = np.round(price_m2 * area, -2)
    return (
        pd.DataFrame(
            {
                "成交日期": date.strftime("%Y-%m-%d"),
                "成交价（元）": price.astype(int),
                "建筑面积": area,
                "室": rooms,
                "所在楼层": floor,
                "总楼层": total,
                "建成年份": year,
                "区划代码": code,
                "纬度": lat.round(6),
                "经度": lon.round(6),
            }
        )
        .sort_values("成交日期", kind="stable")
        .reset_index(drop=True)
    )


if __name__ == "__main__":
    generate().to_csv(OUT, index=False)
    print(f"wrote {OUT}")

"""Typed models for specs/generation.yaml: every behaviour of the synthetic data, as data."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from c360_compiler.load.base import StrictModel

ChangeType = Literal["card_upgrade", "card_downgrade", "credit_limit_change", "move", "employment_change"]
"""Kinds of rows in BRONZE_CUSTOMER_UPDATES."""

CardType = Literal["Standard", "Premium"]


def _ordered(pair: tuple[float, float]) -> tuple[float, float]:
    if pair[0] > pair[1]:
        raise ValueError(f"range [{pair[0]}, {pair[1]}] has its low end above its high end")
    return pair


FloatRange = Annotated[tuple[float, float], AfterValidator(_ordered)]
"""`[low, high]`, low <= high."""
IntRange = Annotated[tuple[int, int], AfterValidator(_ordered)]
Share = Annotated[float, Field(ge=0, le=1)]
Weight = Annotated[float, Field(ge=0)]


class Profile(StrictModel):
    """How much data one run makes."""

    customers: int = Field(ge=1, le=10_000_000, description="Rows in BRONZE_CUSTOMERS.")
    transactions: int = Field(ge=1, le=10_000_000_000, description="Rows in BRONZE_TRANSACTIONS (exact).")


class CreditLimits(StrictModel):
    min: int = Field(gt=0)
    max: int = Field(gt=0)
    step: int = Field(gt=0)

    @model_validator(mode="after")
    def _steps(self) -> CreditLimits:
        if self.min > self.max or self.min % self.step or self.max % self.step:
            raise ValueError("credit limits need min <= max, both multiples of step")
        return self


class EmailQuirks(StrictModel):
    """Raw-data blemishes the silver layer has to clean."""

    mixed_case_share: Share = Field(default=0.0, description="Emails written with capitals.")
    padded_share: Share = Field(default=0.0, description="Emails with surrounding spaces.")


class CustomerRules(StrictModel):
    """Attributes shared by every segment."""

    id_prefix: str = Field(default="CUST", pattern=r"^[A-Z]{1,4}$")
    id_digits: int = Field(default=8, ge=4, le=8)
    name_pool_size: int = Field(default=1000, ge=10, le=10_000, description="Faker names drawn once, then picked.")
    faker_locale: str = "en_US"
    email_domains: dict[str, Weight] = Field(min_length=1, description="Domain -> relative weight.")
    email_quirks: EmailQuirks = EmailQuirks()
    age: IntRange = Field(description="Allowed ages at the end date.")
    account_age_years: FloatRange = Field(description="Account opened this long before the end date.")
    credit_limit: CreditLimits
    employment_statuses: list[str] = Field(min_length=1)


class Trend(StrictModel):
    """Spend level over time: flat."""

    kind: Literal["flat"] = "flat"


class RampTrend(StrictModel):
    """New accounts: spend starts low and grows each month until it reaches the base level."""

    kind: Literal["ramp"]
    start_level: float = Field(gt=0, le=1, description="Share of the base level in the opening month.")
    monthly_growth: float = Field(gt=0, description="Growth per month, e.g. 0.5 = +50%.")


class DeclineTrend(StrictModel):
    """Churning customers: spend falls, some stop entirely."""

    kind: Literal["decline"]
    start_months_before_end: IntRange = Field(description="When the decline starts, counted back from the end.")
    ramp_months: int = Field(ge=1, description="Months over which spend falls to its lower level.")
    drop: FloatRange = Field(description="Share of spend lost once the decline is complete.")
    stop_share: Share = Field(description="Share of the segment that stops transacting entirely.")
    stop_after_months: IntRange = Field(description="Months after the decline starts that stoppers stop.")
    decline_rate: Share = Field(description="Declined-transaction rate once the decline has started.")


class DeclineType(StrictModel):
    """Why a declining customer declines, and the change-feed event that shows it."""

    share: Share
    event: Literal["employment_change", "move"] | None = None
    employment_status: str | None = Field(default=None, description="Status after an employment_change event.")
    employed_before: list[str] = Field(default_factory=list, description="Statuses allowed at account opening.")


class Segment(StrictModel):
    """One behavioural segment: its share of customers and how they look and spend."""

    share: Share
    monthly_spend: FloatRange = Field(description="Base monthly spend per customer in USD (log-uniform).")
    premium_share: Share
    age: IntRange
    employment: dict[str, Weight] = Field(min_length=1, description="Status -> relative weight.")
    credit_limit: IntRange | None = Field(default=None, description="Opening credit limit range in USD.")
    account_age_years: FloatRange | None = Field(default=None, description="Overrides customers.account_age_years.")
    amount_multiplier: float = Field(default=1.0, gt=0, description="Scales every transaction amount.")
    decline_rate: Share = Field(default=0.02, description="Share of transactions declined.")
    category_weights: dict[str, Weight] = Field(min_length=1, description="Category -> share of spend (relative).")
    trend: Trend | RampTrend | DeclineTrend = Field(default_factory=Trend, discriminator="kind")
    decline_types: dict[str, DeclineType] = Field(default_factory=dict)
    changes_per_year: dict[ChangeType, Weight] = Field(default_factory=dict, description="Change-feed events per year.")


class Category(StrictModel):
    """A merchant category, its merchants and typical amounts."""

    id: int = Field(ge=1, le=99_999)
    name: str = Field(min_length=1)
    group: Literal["Leisure", "Necessities", "Other"]
    discretionary: bool
    travel: bool = False
    amount: FloatRange = Field(description="Typical amount range in USD (log-triangular between the ends).")
    merchants: list[str] = Field(min_length=1)


class Transactions(StrictModel):
    """Shape of the transaction stream."""

    history_months: int = Field(ge=1, le=120, description="Whole calendar months ending with the end date's month.")
    seasonality: dict[Annotated[int, Field(ge=1, le=12)], Weight] = Field(
        description="Calendar month (1-12) -> relative spend level."
    )
    channels: dict[str, Share] = Field(min_length=1, description="Channel -> share (sums to 1).")
    hours: IntRange = Field(default=(6, 23), description="Local hours transactions fall in.")
    monthly_noise: float = Field(default=0.15, ge=0, lt=1, description="Random month-to-month spend variation.")
    pick_buckets: int = Field(default=10_000, ge=100, le=1_000_000, description="Resolution of category picks.")


class Changes(StrictModel):
    """Rules of the customer change feed."""

    credit_limit_delta: IntRange = Field(description="Change of limit in USD (rounded to the step, never zero).")


class StateGeo(StrictModel):
    weight: Weight = 1.0
    cities: list[str] = Field(min_length=1)


class GenerationSpec(StrictModel):
    """specs/generation.yaml."""

    seed: int = Field(ge=0, le=2**31 - 1)
    end_date: dt.date = Field(description="Last day with data.")
    profiles: dict[str, Profile] = Field(min_length=1)
    customers: CustomerRules
    segments: dict[str, Segment] = Field(min_length=1)
    categories: list[Category] = Field(min_length=1)
    transactions: Transactions
    changes: Changes
    states: dict[Annotated[str, Field(pattern=r"^[A-Z]{2}$")], StateGeo] = Field(min_length=1)

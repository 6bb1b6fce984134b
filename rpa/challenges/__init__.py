"""Challenges a person (or a device) must answer: OTPs, captchas, signatures."""

from rpa.challenges.base import (
    CaptchaProvider,
    CaptchaRequest,
    OtpProvider,
    OtpRequest,
    Providers,
    Signer,
    SignRequest,
)

__all__ = [
    "CaptchaProvider",
    "CaptchaRequest",
    "OtpProvider",
    "OtpRequest",
    "Providers",
    "SignRequest",
    "Signer",
]

"""Every invented ([I]) text and format of the mock portal, in one place.

PORTAL.md marks what is known of the real DGFT portal ([S]/[G]) and what is invented
([I]). Sourced wording is used verbatim; invented wording lives here so that it is cheap
to correct when the real text becomes known. Templates take their messages from here
(they are passed in as ``W`` to every template).
"""

from __future__ import annotations

# --- identifiers -------------------------------------------------------------------------

#: Acknowledgement / application number [I]: ``IEC/UPD/2026/000123``.
ACK_FORMAT = "IEC/{kind}/{year}/{seq:06d}"
ACK_KIND_CODES = {"update": "UPD", "link": "LNK"}


def ack_number(kind: str, year: int, seq: int) -> str:
    return ACK_FORMAT.format(kind=ACK_KIND_CODES[kind], year=year, seq=seq)


# --- status words ------------------------------------------------------------------------

STATUS_ACTIVE = "Active"  # [S]
STATUS_DEACTIVATED = "De-activated"  # [S]
#: Long status line shown for an active IEC [S, from DGFT's lookups].
STATUS_ACTIVE_DETAIL = (
    "IEC successfully registered at DGFT and accepted by ICEGATE – IEC ready for use"
)
STATUS_DEACTIVATED_DETAIL = (
    "IEC de-activated as it was not updated between 1st April and 30th June. "
    "Update your IEC to re-activate it."
)

BANK_SUCCESS = "Success"  # [S]
BANK_IN_PROGRESS = "In Progress"  # [S]
BANK_FAILED = "Failed"  # [S]

APP_APPROVED = "Approved"  # [I]
APP_IN_PROGRESS = "In Progress"  # [G]
APP_DEFICIENT = "Deficient"  # [S]


def bank_status_for(account_number: str) -> str:
    """The simulated NPCI verification outcome [I]: by the account number's last digits."""
    if account_number.endswith("000"):
        return BANK_FAILED
    if account_number.endswith("999"):
        return BANK_IN_PROGRESS
    return BANK_SUCCESS


# --- mechanics ---------------------------------------------------------------------------

SESSION_TIMED_OUT = "Your session has timed out. Please login again."
LOGIN_REQUIRED = "Please login to continue."
CSRF_REFUSED = "Invalid or missing CSRF token. Please reload the page and try again."
SERVER_BUSY_TITLE = "Server is busy"
SERVER_BUSY = "The server is busy. Please try again after some time."
MAINTENANCE_TITLE = "Under maintenance"
MAINTENANCE = "The DGFT portal is under scheduled maintenance. Please try again after some time."
ANNOUNCEMENT_TITLE = "Announcement"
ANNOUNCEMENT = (
    "Annual update of IEC is mandatory between 1st April and 30th June every year, even "
    "if there is no change in the IEC details. IECs not updated will be de-activated."
)

# --- captcha, login, registration ---------------------------------------------------------

CAPTCHA_WRONG = "Invalid Captcha. Please enter the characters shown in the image."
#: The login's captcha pre-check (``checkCaptcha``) refusal, in a bootbox pop-up [S: DGFT's
#: own page script, ``bootbox.alert("Please enter correct captcha.")``].
CAPTCHA_INCORRECT = "Please enter correct captcha."
CAPTCHA_REQUIRED = "Please enter the Captcha."
LOGIN_TITLE = "Login"
LOGIN_FAILED = "Invalid Username or Password."
#: The login post carried a password the server could not decrypt (sent in clear text, or
#: encrypted for another session's form) [I]; not counted as a refused login.
LOGIN_NOT_ENCRYPTED = "Your login could not be processed. Please reload the page and try again."
#: The page's script could not reach the portal (a network error) [I].
PORTAL_UNREACHABLE = "The portal could not be reached. Please try again."
#: The page cannot encrypt the password: WebCrypto needs a secure context (HTTPS, or the
#: loopback address the mock runs on by default) [I].
LOGIN_NEEDS_SECURE_CONTEXT = (
    "The password cannot be encrypted on this connection. Please open the portal over HTTPS."
)
# After state.LOCK_AFTER_FAILED_LOGINS refused logins in a row, for any password [I].
ACCOUNT_LOCKED = (
    "Your account has been locked due to multiple unsuccessful login attempts. Please reset "
    "your password using Forgot Password."
)
LOGIN_FIELDS_REQUIRED = "Please enter Username and Password."
PASSWORD_CHANGE_REQUIRED = "You are logging in for the first time. Please change your password."
PASSWORD_RULES = (
    "Password must be 8 to 20 characters long with at least one upper case letter, one "
    "lower case letter, one digit and one special character."
)
PASSWORD_MISMATCH = "New Password and Confirm Password do not match."
OLD_PASSWORD_WRONG = "Old Password is incorrect."
PASSWORD_CHANGED = "Password changed successfully. Please login with your new password."
PASSWORD_RESET = "Password reset successfully. Please login with your new password."
LOGGED_OUT = "You have been logged out successfully."
USER_UNKNOWN = "No user is registered with this Username."

REG_SUCCESS = "Registration is Successful"  # [S]
REG_SUCCESS_DETAIL = (
    "A temporary password has been sent to your registered Email ID. Please login with "
    "your Email ID as Username and change the password."
)
REG_EMAIL_TAKEN = "A user is already registered with this Email ID."
REG_TERMS = "Please accept the Terms and Conditions."
REG_FIELD_REQUIRED = "{field} is required."
REG_EMAIL_INVALID = "Please enter a valid Email ID."
REG_MOBILE_INVALID = "Please enter a valid 10 digit Mobile Number."
REG_PIN_INVALID = "Please enter a valid 6 digit Pin code."
REG_OTP_SENT = "OTP has been sent to your Mobile Number and Email ID."

OTP_SENT_BOTH = "OTP has been sent to your registered Mobile Number and Email ID."
OTP_SENT_EMAIL = "OTP has been sent to your registered Email ID."
OTP_WRONG = "Invalid OTP. Please enter the correct OTP."
OTP_EXPIRED = "OTP has expired. Please click on Resend OTP."
OTP_NOT_SENT = "Please click on Send OTP first."
OTP_MOBILE_WRONG = "Invalid Mobile OTP. Please enter the correct OTP."
OTP_EMAIL_WRONG = "Invalid Email OTP. Please enter the correct OTP."


def otp_sms(otp: str, purpose: str) -> str:
    return f"{otp} is your OTP for {purpose} on DGFT portal. It is valid for 15 minutes."


def temp_password_mail(password: str) -> str:
    return (
        "Dear User, your registration on DGFT portal is successful. "
        f"Your temporary password is {password} . Please change it after first login."
    )


# --- Link IEC -----------------------------------------------------------------------------

IEC_FORMAT = "Please enter a valid 10 character IEC Number."
IEC_NOT_FOUND = "IEC Number is not valid. Please enter a valid IEC Number."
IEC_LINKED_OTHER = "IEC already linked to another user."
IEC_ONE_PER_USER = (
    "Only one IEC can be linked to a user profile. Your profile is already linked to IEC {iec}."
)
IEC_VALIDATED = "IEC Number validated. Choose how you want to link it to your profile."
PAN_FORMAT = "Please enter a valid PAN."
PAN_NOT_OF_IEC = "PAN does not match with the PAN of the IEC or of its partners/directors."
PAN_NAME_MISMATCH = "Name as per PAN does not match with the Income Tax Department's records."
PAN_DOB_MISMATCH = "Date of Birth does not match with the Income Tax Department's records."
PAN_UNKNOWN = "PAN details could not be verified with the Income Tax Department."
AADHAAR_MISMATCH = "Name/Year of Birth as per Aadhaar does not match with the PAN details."
LINK_SUCCESS = "IEC {iec} has been linked to your profile successfully."
NO_IEC_LINKED = "No IEC is linked to your profile. Please link your IEC first."
APPLY_IEC_INFO = (
    "Applying for a new IEC is not available in this portal simulation. "
    "Use Link IEC to link an existing IEC to your profile."
)

# --- signing ------------------------------------------------------------------------------

SIGN_INVALID = "Digital signature verification failed. Please sign again."
SIGN_EXPIRED = "The signing request has expired. Please start again."
ESIGN_CANCELLED = "Aadhaar eSign was not completed."
ESP_NAME = "eSign Service Provider (simulated)"
ESP_AADHAAR_FORMAT = "Please enter a valid 12 digit Aadhaar Number or 16 digit VID."
ESP_CONSENT = "Please provide your consent to proceed."
ESP_UNKNOWN = "Aadhaar Number / VID does not exist."
ESP_NO_MOBILE = "Error 112: No mobile number is registered with the Aadhaar."  # [S] code 112
ESP_OTP_SENT = "OTP has been sent to the mobile number registered with Aadhaar ({masked})."
ESP_TXN_UNKNOWN = "This eSign request is invalid or has expired."
ESP_CONSENT_TEXT = (
    "I hereby state that I have no objection in authenticating myself with Aadhaar based "
    "authentication system and consent to providing my Aadhaar number or Virtual ID and OTP for "
    "the purpose of eSigning this document."
)

# --- Update IEC ---------------------------------------------------------------------------

ALREADY_SUBMITTED = (
    "An application for this IEC is already submitted. "
    "A new application can be filed after it is processed or in the next financial year."
)
CONTACTS_REVERIFY = (
    "Your Mobile Number and Email ID were last verified on {date}. "
    "Please verify them with OTP to continue."
)
CONTACTS_VERIFIED = "Mobile Number and Email ID verified successfully."
SECTION_SAVED = "{section} saved successfully."
BOTH_CONTACTS_CHANGED = "Mobile Number and Email ID cannot both be changed at the same time."
FIELD_REQUIRED = "{field} is required."
FIELD_INVALID = "Please enter a valid {field}."
GSTIN_INVALID = "Please enter a valid 15 character GSTIN."
IFSC_INVALID = "Please enter a valid 11 character IFSC Code."
PERSON_REQUIRED = "At least one Proprietor/Partner/Director is required."
DOC_NOT_PDF = "Only PDF files are allowed. '{name}' is not a PDF file."
DOC_TOO_BIG = "File size must not exceed 5 MB. '{name}' is {size_mb:.1f} MB."
DOC_REQUIRED = "{field} is required because the {what} has changed."
DECLARATION_REQUIRED = "Please accept the declaration before submitting."
SIGN_METHOD_REQUIRED = "Please choose a signing method."
SUBMIT_SUCCESS = "Your application has been submitted successfully."
#: The one-click "no change" confirmation: only behind the mock option ``no_change_button``;
#: no source shows such a button on the real portal (PORTAL.md section 6) [I, unconfirmed].
NO_CHANGE_TEXT = "No change in IEC details – confirm"
NO_CHANGE_DONE = "You have confirmed that there is no change in your IEC details."
DECLARATION = (
    "I hereby declare that the particulars given herein are true, correct and complete to "
    "the best of my knowledge and belief."
)
# The declaration's Place and Date [S: they exist; wording I].
PLACE_REQUIRED = "Place is required."
DATE_REQUIRED = "Date is required."
DATE_INVALID = "Please enter a valid Date."
# Sections, documents, persons, banks [I wording].
DOC_UPLOADED = "{field} uploaded successfully."
DOC_TYPE_UNKNOWN = "Please choose the document to upload."
DOC_FILE_REQUIRED = "Please choose a file to upload."
NO_OPEN_APPLICATION = "No application is open. Please start a fresh application."
DIN_INVALID = "Please enter a valid 8 digit DIN."
DIN_REQUIRED = "DIN is required for a Director."
DOB_INVALID = "Please enter a valid Date of Birth."
PERSON_ADDED = "{name} added."
BRANCH_ADDED = "Branch added."
BANK_REQUIRED = "At least one bank account is required."
BANK_ADDED = "Bank account {account} added."
BANK_DUPLICATE = "Bank account {account} is already added."
#: Why an application went Deficient when an account linked to the PAN was not declared
#: [S: Trade Notice 23/2025-26 (the rule); I: the wording].
BANK_UNDECLARED = (
    "Bank account(s) linked to the PAN not declared in the application: {accounts}. "
    "Every bank account linked to the PAN must be declared."
)

EIEC_NOTE = "This is a system generated, digitally signed e-IEC."
EIEC_ISSUER = "Directorate General of Foreign Trade, Ministry of Commerce and Industry"

# --- choices ------------------------------------------------------------------------------

NATURES_OF_CONCERN = [
    "Proprietorship",
    "Partnership",
    "Private Limited Company",
    "Public Limited Company",
    "Limited Liability Partnership",
    "Hindu Undivided Family (HUF)",
    "Trust",
    "Society",
    "Government Department",
]
EXPORTER_CATEGORIES = ["Merchant Exporter", "Manufacturer Exporter", "Service Provider", "Others"]
DESIGNATIONS = ["Proprietor", "Partner", "Director", "Karta", "Trustee", "Managing Director"]
STATES = [
    "Andhra Pradesh",
    "Delhi",
    "Goa",
    "Gujarat",
    "Haryana",
    "Karnataka",
    "Kerala",
    "Madhya Pradesh",
    "Maharashtra",
    "Punjab",
    "Rajasthan",
    "Tamil Nadu",
    "Telangana",
    "Uttar Pradesh",
    "West Bengal",
]

#: Update IEC sections (tabs) in order: (key, tab title). The keys are the real form's tab
#: ids [S: public automation code, spelt as there: "Properioter"], except branchDetails
#: [I]; the tab titles are [I].
SECTIONS = [
    ("generalInformation", "General Information"),
    ("detailsOfProperioter", "Proprietor/Partner/Director Details"),
    ("branchDetails", "Branch Details"),
    ("bankInformation", "Bank Details"),
    ("otherDetails", "Other Details"),
    ("declaration", "Declaration"),
]

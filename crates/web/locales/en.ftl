# congso web interface — English.

site-name = Electronic portal
skip-to-content = Skip to main content
nav-home = Home
nav-staff = Work area
nav-account = Account
nav-admin-users = Accounts
nav-admin-ledger = Audit ledger
nav-login = Log in
nav-logout = Log out
nav-main = Main navigation
language-switch = Tiếng Việt
language-switch-label = Chuyển sang tiếng Việt
footer-text = congso — the self-hosted e-government platform of a state agency.
footer-ledger = Public audit ledger

home-title = Home
home-welcome = Welcome to { $agency }
home-intro = The agency's electronic portal. Staff log in to work; citizens log in to follow their applications.
home-no-agency = No agency is configured on this node yet. An administrator must initialise it.

login-title = Log in
login-username = Username
login-password = Password
login-submit = Log in
login-forgot = Forgot your password?
login-failed = Wrong username or password.
login-throttled = Too many failed attempts. Please try again in { $seconds } seconds.
login-locked = Too many failed attempts. Logging in is locked for a while; try again in { $minutes } minutes or contact an administrator.
login-required = Please log in to continue.
login-second-title = Two-factor authentication
login-second-intro = Enter the 6-digit code shown in your authenticator app.
login-code = Authentication code
login-code-wrong = The code is wrong or was already used.
login-verify = Verify
logged-out = You are logged out.

account-title = My account
account-name = Full name
account-username = Username
account-roles = Roles
account-email = Email
account-2fa = Two-factor authentication
account-2fa-on = On
account-2fa-off = Off
account-2fa-setup = Set up two-factor authentication
account-2fa-disable = Turn off two-factor authentication
account-2fa-required = Administrators must use two-factor authentication. Set it up before you continue.
account-2fa-admin-cannot-disable = Administrator accounts cannot turn off two-factor authentication.
account-2fa-enabled = Two-factor authentication is on.
account-2fa-disabled = Two-factor authentication is off.
account-2fa-scan = Scan the QR code with an authenticator app (for example Google Authenticator, Microsoft Authenticator, FreeOTP), or type the secret key below, then enter the 6-digit code to confirm.
account-2fa-secret = Secret key
account-2fa-qr = QR code for adding the account to an authenticator app
account-password-title = Change password
account-password-current = Current password
account-password-new = New password
account-password-confirm = Repeat the new password
account-password-submit = Change password
account-password-changed = Password changed. Your other sessions were closed.
account-password-wrong = The current password is wrong.
account-password-must-change = You need to set a new password before you continue.
password-too-short = The password must be at least { $min } characters long.
password-too-long = The password must be at most { $max } characters long.
password-mismatch = The two new passwords differ.
password-contains-username = The password must not contain the username.
password-too-common = This password is too common and easy to guess. Choose another one.

reset-title = Forgot password
reset-intro = Enter the username or email address of the account. If the account exists and has an email address, we will send a link to reset the password.
reset-identifier = Username or email
reset-submit = Send request
reset-sent = If the account exists and has an email address, a password-reset link has been sent. The link is valid for 30 minutes.
reset-new-title = Set a new password
reset-invalid = The password-reset link is invalid, expired or already used.
reset-done = Your new password is set. Please log in.
reset-mail-subject = Reset the password of your congso account
reset-mail-body = Hello { $name },

    Someone asked to reset the password of the account { $username }. Open this link within 30 minutes to set a new password:

    { $link }

    If it was not you, ignore this message; your password has not changed.

staff-title = Work area
staff-hello = Hello, { $name }
staff-intro = This is the staff work area. What you can do depends on the roles you hold.
staff-your-roles = Your roles

admin-users-title = Accounts
admin-users-new = Create an account
admin-users-col-username = Username
admin-users-col-name = Full name
admin-users-col-kind = Kind
admin-users-col-roles = Roles
admin-users-col-status = Status
admin-users-col-2fa = 2FA
admin-status-active = Active
admin-status-disabled = Disabled
kind-staff = Staff
kind-citizen = Citizen
admin-user-title = Account { $username }
admin-user-roles = Roles
admin-user-save-roles = Save roles
admin-user-roles-saved = Roles saved.
admin-user-reset-password = Reset password
admin-user-reset-password-help = Creates a temporary password; the user must change it at the next login. All their sessions are closed.
admin-user-temp-password = Temporary password (shown only once): { $password }
admin-user-disable = Disable account
admin-user-enable = Enable account
admin-user-disabled = Account disabled.
admin-user-enabled = Account enabled.
admin-user-unlock = Clear failed-login counter
admin-user-unlocked = Failed-login counter cleared.
admin-user-remove-2fa = Remove two-factor authentication
admin-user-2fa-removed = Two-factor authentication removed; the user must set it up again (mandatory for administrators).
admin-user-self-demote = You cannot remove your own administrator role or disable your own account.
admin-new-title = Create an account
admin-new-display-name = Full name
admin-new-kind = Account kind
admin-new-position = Position
admin-new-unit = Unit
admin-new-unit-none = (no unit)
admin-new-password = Initial password (leave empty to generate a temporary one)
admin-new-submit = Create account
admin-new-created = Account { $username } created.

admin-ledger-title = Audit ledger
admin-ledger-intro = Every security-relevant action is recorded in an append-only ledger (an RFC 9162 Merkle tree). Checkpoints are signed with the node's Ed25519 key; anyone can check the proofs.
admin-ledger-size = Entries
admin-ledger-root = Current root
admin-ledger-checkpoint = Latest signed checkpoint
admin-ledger-sign = Sign a checkpoint now
admin-ledger-signed = Checkpoint signed at size { $size }.
admin-ledger-col-seq = No.
admin-ledger-col-time = Time
admin-ledger-col-actor = Actor
admin-ledger-col-action = Action
admin-ledger-col-target = Target
admin-ledger-col-source = Source
admin-ledger-entry-title = Ledger entry { $seq }
admin-ledger-leaf = Leaf hash
admin-ledger-proof = Inclusion proof (against checkpoint { $size })
admin-ledger-proof-ok = The proof is valid: this entry is part of the signed history.
admin-ledger-proof-bad = The proof is NOT valid: the history may have been altered.
admin-ledger-not-covered = No signed checkpoint covers this entry yet; sign a checkpoint.
admin-ledger-details = Details
admin-ledger-data-hash = Hash of affected data

role-administrator = Administrator
role-it_officer = IT officer
role-clerk = Clerk
role-specialist = Specialist
role-leader = Leader
role-security_officer = Security officer
role-privacy_officer = Privacy officer
role-citizen = Citizen

error-title = Something went wrong
error-not-found = The page you asked for does not exist.
error-forbidden = You are not allowed to do this.
error-csrf = The form expired or was already submitted. Reload the page and try again.
error-too-large = The request is too large (limit { $limit }).
error-bad-request = Bad request: { $reason }
error-internal = The system ran into a problem. It has been logged; please try again later.
error-timeout = The request took too long and was stopped.
error-method-not-allowed = This address does not accept that kind of request.
error-back-home = Back to the home page
saved = Saved.
submit = Submit

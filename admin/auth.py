"""The staff sign-in pages under /admin: sign in and out, the second factor,
choosing a password through a one-time link, and one's own account.

The rules (lockout, links, sessions, TOTP) are in `admin.security`; these
handlers only read forms, call them, commit once and answer.
"""
import base64
import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from admin import security
from admin.forms import (
    ChangePasswordForm,
    CodeForm,
    ConfirmForm,
    CurrentPasswordForm,
    NewPasswordForm,
    ResetRequestForm,
    SignInForm,
)
from portal import audit
from portal.extensions import db
from portal.notifications import enqueue
from portal.staff_accounts import StaffAccountError, check_password_strength, set_password, verify_password

bp = Blueprint("admin_auth", __name__, url_prefix="/admin")
RESEND_AFTER_SECONDS = 120  # one reset mail per address in this time, against mail floods


def _refused_message():
    return _("The e-mail or password is not correct, or the account is locked for a while "
             "after too many failed attempts.")


def _wrong_code_message():
    return _("The code is not correct. Check the time on your phone and try the newest code.")


def _safe_next(default):
    target = request.values.get("next") or ""
    # Only ever back into the portal, never to another site.
    if target.startswith("/admin") and not target.startswith("//") and "\\" not in target:
        return target
    return default


@bp.route("/login", methods=("GET", "POST"))
def login():
    form = SignInForm()
    if form.validate_on_submit():
        now = security.now()
        audit.set_request_actor("staff-sign-in")  # whoever typed it: not yet a known user
        user = security.check_password(form.email.data, form.password.data, now=now,
                                       requester=request.remote_addr)
        if user is None:
            db.session.commit()  # keep the failure count
            return render_template("admin/auth/login.html", form=form, errors=[_refused_message()])
        if security.totp_required(user):
            security.remember_pending(user, now)
            db.session.commit()
            target = "admin_auth.second_factor" if user.totp_secret else "admin_auth.totp_setup"
            return redirect(url_for(target, next=_safe_next("")))
        security.start_session(user, now, request.remote_addr)
        db.session.commit()
        return redirect(_safe_next(url_for("admin.index")))
    return render_template("admin/auth/login.html", form=form)


@bp.route("/logout", methods=("POST",))
def logout():
    ConfirmForm()  # the CSRF check is CSRFProtect's, before this runs
    security.sign_out()
    db.session.commit()
    flash(_("You have signed out."), "info")
    return redirect(url_for("admin_auth.login"))


@bp.route("/totp", methods=("GET", "POST"))
def second_factor():
    now = security.now()
    user = security.pending_user(now, request.remote_addr)
    if user is None or not user.totp_secret:
        return redirect(url_for("admin_auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        audit.set_request_actor(f"staff:{user.id}", user.id)
        if security.check_totp(user, form.code.data, now=now):
            security.start_session(user, now, request.remote_addr)
            db.session.commit()
            return redirect(_safe_next(url_for("admin.index")))
        security.record_failure(user, now, request.remote_addr)
        db.session.commit()
        return render_template("admin/auth/totp.html", form=form, errors=[_wrong_code_message()])
    return render_template("admin/auth/totp.html", form=form)


def _setup_secret(user):
    """The secret offered for enrolment, derived from a nonce kept in the session,
    so that the secret itself never travels in the (readable) session cookie."""
    nonce = session.setdefault("totp_setup", secrets.token_hex(16))
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"totp-setup:{user.id}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:20]).decode()


@bp.route("/totp/setup", methods=("GET", "POST"))
def totp_setup():
    """Turn on the second factor: during sign-in when the role requires it, or from the account page."""
    now = security.now()
    signing_in = not security.staff_signed_in()
    user = security.pending_user(now, request.remote_addr) if signing_in else current_user._get_current_object()
    if user is None:
        return redirect(url_for("admin_auth.login"))
    secret = _setup_secret(user)
    form = CodeForm()
    if form.validate_on_submit():
        audit.set_request_actor(f"staff:{user.id}", user.id)
        if security.check_totp(user, form.code.data, now=now, secret=secret):
            user.totp_secret = secret
            session.pop("totp_setup", None)
            if signing_in:
                security.start_session(user, now, request.remote_addr)
            db.session.commit()
            flash(_("The second factor is on: from now on you sign in with a code from the app as well."), "success")
            return redirect(url_for("admin.index") if signing_in else url_for("admin_auth.account"))
        if signing_in:
            security.record_failure(user, now, request.remote_addr)
            db.session.commit()
        errors = [_wrong_code_message()]
    else:
        errors = []
    return render_template("admin/auth/totp_setup.html", form=form, secret=secret, errors=errors,
                           uri=security.totp_uri(user, secret), required=signing_in)


def _choose_password(kind, token):
    now = security.now()
    user = security.user_for_link(token, now)
    if user is None:
        return render_template("admin/auth/link_invalid.html"), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            check_password_strength(form.password.data)
        except StaffAccountError as error:
            form.password.errors.append(str(error))
        else:
            audit.set_request_actor(f"staff:{user.id}", user.id)
            security.choose_password(user, form.password.data, now=now, requester=request.remote_addr)
            db.session.commit()
            flash(_("Your password is set. Sign in with it now."), "success")
            return redirect(url_for("admin_auth.login"))
    return render_template("admin/auth/choose_password.html", form=form, kind=kind, user=user)


@bp.route("/activate/<token>", methods=("GET", "POST"))
def activate(token):
    return _choose_password("activate", token)


@bp.route("/reset/<token>", methods=("GET", "POST"))
def reset(token):
    return _choose_password("reset", token)


@bp.route("/reset", methods=("GET", "POST"))
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        now = security.now()
        user = security.find_user(form.email.data)
        if user is not None and user.is_active and not _link_sent_recently(user, now):
            minutes = current_app.config["STAFF_RESET_LINK_MINUTES"]
            audit.set_request_actor(f"staff:{user.id}", user.id)
            token = security.issue_password_link(user, minutes=minutes, now=now)
            enqueue(template="staff_password_reset", recipient=user.email, locale=user.locale,
                    key=f"staff_password_reset:{user.id}:{user.activation_token_hash[:16]}",
                    context={"link": security.password_link("reset", token), "minutes": minutes})
            db.session.commit()
        # The same answer whether or not the address has an account.
        flash(_("If this address belongs to a staff account, a link to choose a new password "
                "has been sent to it."), "info")
        return redirect(url_for("admin_auth.login"))
    return render_template("admin/auth/reset_request.html", form=form)


def _link_sent_recently(user, now):
    if user.activation_expires_at is None:
        return False
    issued = user.activation_expires_at - timedelta(minutes=current_app.config["STAFF_RESET_LINK_MINUTES"])
    return (now - issued).total_seconds() < RESEND_AFTER_SECONDS


@bp.route("/account", methods=("GET", "POST"))
def account():
    if not security.staff_signed_in():
        return redirect(url_for("admin_auth.login", next=request.path))
    user = current_user._get_current_object()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not verify_password(user, form.current.data):
            form.current.errors.append(_("This is not your current password."))
        else:
            try:
                check_password_strength(form.password.data)
            except StaffAccountError as error:
                form.password.errors.append(str(error))
            else:
                set_password(user, form.password.data)
                security.start_session(user, security.now(), request.remote_addr)  # this session goes on; others end
                db.session.commit()
                flash(_("Your password has been changed."), "success")
                return redirect(url_for("admin_auth.account"))
    return _account_page(user, form)


def _account_page(user, form, off_form=None, errors=()):
    return render_template("admin/auth/account.html", form=form, user=user, errors=errors,
                           off_form=off_form or CurrentPasswordForm(),
                           totp_required=user.role in current_app.config["REQUIRE_TOTP_FOR_ROLES"])


@bp.route("/account/totp/off", methods=("POST",))
def totp_off():
    if not security.staff_signed_in():
        abort(403)
    user = current_user._get_current_object()
    if user.role in current_app.config["REQUIRE_TOTP_FOR_ROLES"]:
        abort(403)
    form = CurrentPasswordForm()
    if not form.validate_on_submit() or not verify_password(user, form.current.data):
        return _account_page(user, ChangePasswordForm(formdata=None), off_form=form,
                             errors=[_("This is not your current password.")])
    user.totp_secret = None
    db.session.commit()
    flash(_("The second factor is off."), "info")
    return redirect(url_for("admin_auth.account"))

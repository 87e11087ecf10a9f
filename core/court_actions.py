"""One way to write a court action: a table maps each action's name to the form that parses what
the page posts, the service call, the success message and where to go next.

``CourtActions.run`` checks the action's permission, validates its form, calls the service
and reports the outcome in the user's language: a refusal (``DomainError``) shows its message
and rule, an input error names the field; nothing is written unless the service succeeds.
``CourtActions.post`` does the same and goes back to the page. See docs/DEVELOPING.md,
"Writing a court action".
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError, NotFound
from core.forms import Form
from core.permissions import require
from core.punctuation import labelled, listed

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile
    from django_stubs_ext import StrOrPromise

    from core.models import User

T = TypeVar("T")

#: Every action table, as it is made (``CourtActions.__init__``): the proof that each has its
#: API call walks it (tests/core/test_court_actions_api.py; ``core.court_api``).
REGISTRY: list[CourtActions[Any]] = []

#: The success message of an action that names none.
DONE = gettext_lazy("操作已完成。")


@dataclass(frozen=True)
class Submitted(Generic[T]):
    """What an action's service call gets: the object the page acts on, who acts, what the
    form parsed (``{}`` for an action without a form) and the uploaded files."""

    target: T
    actor: User
    data: dict[str, Any]
    files: MultiValueDict[str, UploadedFile]


@dataclass(frozen=True)
class CourtAction(Generic[T]):
    """One row of a page's action table.

    - ``call``: the service call, ``lambda s: services.x(thing=s.target, actor=s.actor, **s.data)``.
    - ``form``: a ``core.forms.Form`` whose fields are named as the page posts them (``None``:
      nothing to parse); ``form_kwargs(target)`` gives it extra arguments (choices).
    - ``done``: the success message, or ``done(submitted, result)`` when it depends on them
      (``None``: the page itself shows the result).
    - ``perm``: a permission the user must have on the target (403 otherwise), or on
      ``perm_on(submitted)`` (an object the form named), checked once the form is parsed.
    - ``then``: where to go after success, ``then(target, result)`` (default: the table's page).
    - ``prefixed``: this form's fields are posted as ``<name>-<field>`` (default: the table's).
    """

    call: Callable[[Submitted[T]], object]
    form: type[Form] | None = None
    done: StrOrPromise | Callable[[Submitted[T], Any], StrOrPromise] | None = DONE
    perm: str | None = None
    perm_on: Callable[[Submitted[T]], object] | None = None
    form_kwargs: Callable[[T], dict[str, Any]] | None = None
    then: Callable[[T, Any], str] | None = None
    prefixed: bool | None = None


@dataclass
class Outcome:
    """How action ``name`` went: ``ok``; its bound form (``None`` without one); the service's
    result; the message of a refusal or an input error; where to go next."""

    name: str
    ok: bool
    form: Form | None = None
    result: Any = None
    error: str | None = None
    next_url: str = ""


def refusal_text(exc: DomainError) -> str:
    """A service's refusal as shown on a page: its message, then the rule it cites."""
    from core.punctuation import paren

    return f"{exc.message}{paren(exc.rule)}" if exc.rule else str(exc.message)


def form_errors_text(form: Form) -> str:
    """Every input error of ``form`` on one line: "输入有误：标签：说明；…"."""
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        text = "，".join(str(e) for e in errors)
        parts.append(labelled(label, text) if label else text)
    return _("输入有误：") + listed(parts)


def by_ref(ref: Callable[[T], str]) -> Callable[[T], str]:
    """A table's ``subject`` from the reference of its target (``case:3/appraisal:9``), named
    the one way core.refs names references ("（2026）赣0102执12号 · 委托评估（…）")."""
    from core.refs import describe

    return lambda target: describe(ref(target)).text


def naming(
    message: StrOrPromise, name: Callable[[Submitted[T], Any], object]
) -> Callable[[Submitted[T], Any], StrOrPromise]:
    """A row's ``done`` that names the thing made or changed, from what the action submitted
    and returned: "<name>：<message>" (a table without one ``subject`` for all its rows)."""

    def done(submitted: Submitted[T], result: Any) -> StrOrPromise:
        text = str(name(submitted, result) or "")
        return _("%(subject)s：%(done)s") % {"subject": text, "done": message} if text else message

    return done


def ref_text(ref: str) -> str:
    """A reference as people read it (core.refs)."""
    from core.refs import describe

    return describe(ref).text


class CourtActions(Generic[T]):
    """A page's court actions: ``{name: CourtAction}`` and how the page shows outcomes.

    - ``page(target)``: the page's own address (where ``post`` goes back to).
    - ``prefixed``: each form's fields are posted as ``<name>-<field>`` (several forms on the
      page share field names).
    - ``errors``: ``"messages"`` (the default: refusals and input errors become a message
      above the page), ``"form"`` (they stay on the form, which the page shows again), or
      ``"outcome"`` (only in the ``Outcome``; the view shows them where it wants).
    - ``subject(target)``: the name people know the target by (a case number, an auction's
      title and round, a payout's number). A row whose ``done`` is a fixed message ends with
      "<subject>：<message>" (issue 13: every court action ends with a message naming what
      happened to which thing); a ``done`` callable names the thing itself.
    """

    def __init__(
        self,
        actions: Mapping[str, CourtAction[T]],
        *,
        page: Callable[[T], str],
        prefixed: bool = False,
        errors: Literal["messages", "form", "outcome"] = "messages",
        subject: Callable[[T], object] | None = None,
    ) -> None:
        self.actions = dict(actions)
        self.subject = subject
        self.page = page
        self.prefixed = prefixed
        self.errors = errors
        caller = inspect.currentframe()
        caller = caller.f_back if caller is not None else None
        #: The module that made the table (where the proof looks for its name).
        self.module = str(caller.f_globals.get("__name__", "")) if caller is not None else ""
        REGISTRY.append(self)

    def __contains__(self, name: object) -> bool:
        return name in self.actions

    def form(
        self,
        name: str,
        target: T,
        data: Any = None,
        files: MultiValueDict[str, UploadedFile] | None = None,
    ) -> Form | None:
        """The form of action ``name`` for ``target``: bound to ``data`` if given."""
        action = self.actions[name]
        if action.form is None:
            return None
        kwargs = action.form_kwargs(target) if action.form_kwargs is not None else {}
        if action.prefixed if action.prefixed is not None else self.prefixed:
            kwargs["prefix"] = name
        return action.form(data, files, target=target, **kwargs)

    def forms(self, target: T, *, bound: Outcome | None = None) -> dict[str, Form]:
        """Every action's form, to show on the page: unbound, except the one just posted."""
        out: dict[str, Form] = {}
        for name in self.actions:
            form = bound.form if bound is not None and bound.name == name else None
            form = form or self.form(name, target)
            if form is not None:
                out[name] = form
        return out

    def run(self, request: HttpRequest, name: str, target: T) -> Outcome:
        """Check, parse, call; report the outcome (see ``errors``). An unknown name is a 403."""
        action = self.actions.get(name)
        if action is None:
            raise DjangoPermissionDenied(_("未知操作"))
        user = cast("User", request.user)  # the pages of court actions need a sign-in
        if action.perm is not None and action.perm_on is None:
            require(user, action.perm, target)
        form = self.form(name, target, request.POST, request.FILES)
        page = self.page(target)
        if form is not None and not form.is_valid():
            return self._failed(request, name, form, form_errors_text(form), page, on_form=False)
        submitted = Submitted(
            target=target,
            actor=user,
            data=dict(form.cleaned_data) if form is not None else {},
            files=request.FILES,
        )
        if action.perm is not None and action.perm_on is not None:
            require(user, action.perm, action.perm_on(submitted))
        try:
            result = action.call(submitted)
        except DomainError as exc:
            return self._failed(request, name, form, refusal_text(exc), page, on_form=True)
        done = self.message(action, submitted, result)
        if done is not None:
            messages.success(request, done)
        then = action.then(target, result) if action.then is not None else page
        return Outcome(name=name, ok=True, form=form, result=result, next_url=then)

    def message(
        self, action: CourtAction[T], submitted: Submitted[T], result: Any
    ) -> StrOrPromise | None:
        """The success message of ``action``: its own words, named by the table's subject."""
        if callable(action.done):
            return action.done(submitted, result)
        if action.done is None or self.subject is None:
            return action.done
        name = str(self.subject(submitted.target) or "")
        if not name:
            return action.done
        return _("%(subject)s：%(done)s") % {"subject": name, "done": action.done}

    def describe(self, target: T) -> list[dict[str, Any]]:
        """Each action of the table and its fields (name, label, required, choices): what an
        API client may send to ``call`` (the page's forms, field by field)."""
        out: list[dict[str, Any]] = []
        for name in self.actions:
            form = self.form(name, target)
            fields: list[dict[str, Any]] = []
            for fname, field in (form.fields if form is not None else {}).items():
                choices = getattr(field, "choices", None)
                fields.append(
                    {
                        "name": fname,
                        "label": str(field.label or fname),
                        "required": bool(field.required),
                        "choices": [[str(k), str(v)] for k, v in choices] if choices else None,
                    }
                )
            out.append({"name": name, "fields": fields})
        return out

    def call(self, user: User, name: str, target: T, data: Mapping[str, Any]) -> dict[str, Any]:
        """The API's way to the same row as the page (issue 13: everything a court page can do
        has an API call): the same permission, form parsing and service call; fields by their
        plain names (no page prefix). An input error is ``invalid_input`` naming the field; a
        refusal is the service's own ``DomainError``. Returns the page's message and next page,
        and the result itself where the page shows it instead of a message (a dict)."""
        action = self.actions.get(name)
        if action is None:
            raise NotFound("unknown_action", _("未知操作"))
        if action.perm is not None and action.perm_on is None:
            require(user, action.perm, target)
        prefixed = action.prefixed if action.prefixed is not None else self.prefixed
        blank = self.form(name, target)
        fields = blank.fields if blank is not None else {}

        def word(key: str, v: Any) -> str:
            """A JSON value as the page posts it: a tick box's ``true`` is its "yes" word."""
            if isinstance(v, bool):
                return str(getattr(fields.get(key), "yes", "on")) if v else ""
            return "" if v is None else str(v)

        bound: MultiValueDict[str, Any] = MultiValueDict()
        for key, value in data.items():
            values = value if isinstance(value, list) else [value]
            bound.setlist(f"{name}-{key}" if prefixed else key, [word(key, v) for v in values])
        files: MultiValueDict[str, UploadedFile] = MultiValueDict()
        form = self.form(name, target, bound, files)
        if form is not None and not form.is_valid():
            raise DomainError("invalid_input", form_errors_text(form))
        submitted = Submitted(
            target=target,
            actor=user,
            data=dict(form.cleaned_data) if form is not None else {},
            files=files,
        )
        if action.perm is not None and action.perm_on is not None:
            require(user, action.perm, action.perm_on(submitted))
        result = action.call(submitted)
        done = self.message(action, submitted, result)
        then = action.then(target, result) if action.then is not None else self.page(target)
        shown = result if done is None and isinstance(result, dict) else None
        return {"action": name, "message": str(done or ""), "next_url": then, "result": shown}

    def post(self, request: HttpRequest, name: str, target: T) -> HttpResponseRedirect:
        """Run the action, then go to the next page (success) or back to this one."""
        return redirect(self.run(request, name, target).next_url)

    def _failed(
        self,
        request: HttpRequest,
        name: str,
        form: Form | None,
        text: str,
        page: str,
        *,
        on_form: bool,
    ) -> Outcome:
        if self.errors == "messages" or (self.errors == "form" and form is None):
            messages.error(request, text)
        elif self.errors == "form" and form is not None and on_form:
            form.add_error(None, text)
        return Outcome(name=name, ok=False, form=form, error=text, next_url=page)

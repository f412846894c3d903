// Passkeys (WebAuthn) on the registry's pages: sign-in without a username, the second factor after a password, and
// registration from the security page. Each form marked data-passkey names its two endpoints (options, then the
// browser's answer) and carries the page's antiforgery token and its messages, written by the server in the page's
// language. The forms stay hidden in a browser without WebAuthn.
(function () {
    'use strict';

    // The transports the hub knows; a browser may report newer ones, which the hub would refuse as unknown values.
    var knownTransports = ['usb', 'nfc', 'ble', 'smart-card', 'hybrid', 'internal'];

    var messagesByCode = {
        ceremony_expired: 'msgExpired',
        unknown_passkey: 'msgUnknown',
        already_registered: 'msgExists',
        invalid_name: 'msgName',
        too_many_attempts: 'msgTooMany',
        verification_failed: 'msgFailed',
        signed_out: 'msgSignedOut'
    };

    function toBytes(base64url) {
        var base64 = base64url.replace(/-/g, '+').replace(/_/g, '/');
        while (base64.length % 4) {
            base64 += '=';
        }
        var text = atob(base64);
        var bytes = new Uint8Array(text.length);
        for (var i = 0; i < text.length; i++) {
            bytes[i] = text.charCodeAt(i);
        }
        return bytes.buffer;
    }

    function toBase64Url(buffer) {
        var bytes = new Uint8Array(buffer);
        var text = '';
        for (var i = 0; i < bytes.length; i++) {
            text += String.fromCharCode(bytes[i]);
        }
        return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    }

    function descriptors(list) {
        return (list || []).map(function (credential) {
            var descriptor = { type: credential.type, id: toBytes(credential.id) };
            if (credential.transports) {
                descriptor.transports = credential.transports;
            }
            return descriptor;
        });
    }

    function creationOptions(options) {
        var publicKey = Object.assign({}, options);
        publicKey.challenge = toBytes(options.challenge);
        publicKey.user = Object.assign({}, options.user, { id: toBytes(options.user.id) });
        publicKey.excludeCredentials = descriptors(options.excludeCredentials);
        return publicKey;
    }

    function requestOptions(options) {
        var publicKey = Object.assign({}, options);
        publicKey.challenge = toBytes(options.challenge);
        publicKey.allowCredentials = descriptors(options.allowCredentials);
        return publicKey;
    }

    function extensionResults(credential) {
        return typeof credential.getClientExtensionResults === 'function' ? credential.getClientExtensionResults() : {};
    }

    function attestation(credential) {
        var response = credential.response;
        var transports = typeof response.getTransports === 'function' ? response.getTransports() : [];
        return {
            id: credential.id,
            rawId: toBase64Url(credential.rawId),
            type: credential.type,
            response: {
                clientDataJSON: toBase64Url(response.clientDataJSON),
                attestationObject: toBase64Url(response.attestationObject),
                transports: transports.filter(function (t) { return knownTransports.indexOf(t) >= 0; })
            },
            clientExtensionResults: extensionResults(credential)
        };
    }

    function assertion(credential) {
        var response = credential.response;
        return {
            id: credential.id,
            rawId: toBase64Url(credential.rawId),
            type: credential.type,
            response: {
                clientDataJSON: toBase64Url(response.clientDataJSON),
                authenticatorData: toBase64Url(response.authenticatorData),
                signature: toBase64Url(response.signature),
                userHandle: response.userHandle ? toBase64Url(response.userHandle) : null
            },
            clientExtensionResults: extensionResults(credential)
        };
    }

    function post(form, url, body) {
        return fetch(url, {
            method: 'POST',
            credentials: 'same-origin',
            headers: {
                'Content-Type': 'application/json',
                'Accept': 'application/json',
                'RequestVerificationToken': form.dataset.antiforgery
            },
            body: JSON.stringify(body)
        }).then(function (response) {
            var type = response.headers.get('Content-Type') || '';
            var read = type.indexOf('json') >= 0 ? response.json().catch(function () { return null; }) : Promise.resolve(null);
            return read.then(function (json) { return { status: response.status, ok: response.ok, body: json }; });
        });
    }

    function say(form, message) {
        var status = form.querySelector('[role="status"]');
        status.textContent = message || form.dataset.msgError;
    }

    // A refusal: the browser goes where the hub says (the login ended, the session expired), or the page says why.
    function refused(form, answer) {
        var body = answer.body || {};
        if (typeof body.redirect === 'string' && body.redirect.charAt(0) === '/') {
            window.location.assign(body.redirect);
            return;
        }
        var key = messagesByCode[body.code] || (answer.status === 429 ? 'msgTooMany' : 'msgError');
        say(form, form.dataset[key]);
    }

    function browserRefused(form, error) {
        var name = error && error.name;
        say(form, name === 'InvalidStateError' ? form.dataset.msgExists
            : name === 'NotAllowedError' || name === 'AbortError' ? form.dataset.msgCancelled
            : form.dataset.msgError);
    }

    function run(form) {
        var registering = form.dataset.passkey === 'register';
        var ceremony;
        say(form, form.dataset.msgWorking);
        return post(form, form.dataset.optionsUrl, {}).then(function (options) {
            if (!options.ok || !options.body || !options.body.publicKey) {
                refused(form, options);
                return null;
            }
            ceremony = options.body.ceremony;
            var asked = registering
                ? navigator.credentials.create({ publicKey: creationOptions(options.body.publicKey) })
                : navigator.credentials.get({ publicKey: requestOptions(options.body.publicKey) });
            return asked.then(function (credential) {
                if (!credential) {
                    say(form, form.dataset.msgCancelled);
                    return null;
                }
                say(form, form.dataset.msgChecking);
                var body = { ceremony: ceremony, credential: registering ? attestation(credential) : assertion(credential) };
                if (registering) {
                    var name = form.querySelector('input[name="name"]');
                    body.name = name ? name.value : '';
                }
                return post(form, form.dataset.finishUrl, body).then(function (answer) {
                    if (answer.ok && answer.body && typeof answer.body.redirect === 'string') {
                        window.location.assign(answer.body.redirect);
                    } else {
                        refused(form, answer);
                    }
                });
            }, function (error) {
                browserRefused(form, error);
            });
        });
    }

    if (!window.PublicKeyCredential || !navigator.credentials) {
        return;
    }
    Array.prototype.forEach.call(document.querySelectorAll('form[data-passkey]'), function (form) {
        var busy = false;
        form.hidden = false;
        form.addEventListener('submit', function (event) {
            event.preventDefault();
            if (busy) {
                return;
            }
            busy = true;
            run(form).catch(function () {
                say(form, form.dataset.msgError);
            }).then(function () {
                busy = false;
            });
        });
    });
})();

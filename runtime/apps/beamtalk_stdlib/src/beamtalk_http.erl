%% @doc HTTP requests for the standard library's `HTTPClient' class, on OTP's `httpc' (inets), with TLS
%% through `ssl' checking the server's certificate against the system's CAs. inets and ssl are started on
%% the first request, so a workspace that never makes one does not pay for them.
-module(beamtalk_http).

-export([request/3]).

-define(METHODS, [get, post, put, delete, head, patch]).
-define(DEFAULT_TIMEOUT_MS, 30000).

%% @doc `HTTPClient request: #get url: "http://..." options: #{...}': `Result ok:' an HTTPResponse (whatever
%% its status), or `Result error:' why no response came (`#timeout', `#failed_connect', ...). Options:
%% `body' (a String), `headers' (a List of `#(name, value)' pairs), `timeout' (milliseconds).
-spec request(atom(), binary(), map()) -> tuple().
request(Method, Url, Options) when is_atom(Method), is_binary(Url), is_map(Options) ->
    lists:member(Method, ?METHODS) orelse
        beamtalk_error:raise(bad_argument, 'HTTPClient',
                             io_lib:format("cannot make a ~s request; hint: one of ~p", [Method, ?METHODS])),
    ok = started(),
    Timeout = timeout(maps:get(timeout, Options, ?DEFAULT_TIMEOUT_MS)),
    Headers = headers(maps:get(headers, Options, [])),
    Request = case maps:get(body, Options, nil) of
                  nil -> {binary_to_list(Url), Headers};
                  Body when is_binary(Body) -> {binary_to_list(Url), Headers, content_type(Headers), Body}
              end,
    HttpOptions = [{timeout, Timeout}, {connect_timeout, Timeout}, {autoredirect, true} | tls(Url)],
    case httpc:request(Method, Request, HttpOptions, [{body_format, binary}]) of
        {ok, {{_Version, Status, _Phrase}, RespHeaders, RespBody}} ->
            beamtalk_rt:result_ok(response(Status, RespHeaders, RespBody));
        {error, Reason} ->
            beamtalk_rt:result_error(reason(Reason))
    end;
request(_Method, Url, _Options) ->
    beamtalk_error:raise('TypeError', type_error, 'HTTPClient',
                         io_lib:format("needs a String URL, not ~ts", [beamtalk_print:print_string(Url)])).

-spec started() -> ok.
started() ->
    {ok, _} = application:ensure_all_started(ssl),
    {ok, _} = application:ensure_all_started(inets),
    ok.

-spec timeout(term()) -> pos_integer().
timeout(Ms) when is_integer(Ms), Ms > 0 -> Ms;
timeout(Other) ->
    beamtalk_error:raise(bad_argument, 'HTTPClient',
                         io_lib:format("timeout must be a positive number of milliseconds, not ~p", [Other])).

%% `#(#("Accept", "application/json"))' (or tuples) as httpc's charlist pairs.
-spec headers(term()) -> [{string(), string()}].
headers(Pairs) when is_list(Pairs) ->
    [case P of
         [K, V] -> {text(K), text(V)};
         {K, V} -> {text(K), text(V)};
         Other -> beamtalk_error:raise(bad_argument, 'HTTPClient',
                                       io_lib:format("a header is a pair #(name, value), not ~p", [Other]))
     end || P <- Pairs];
headers(Other) ->
    beamtalk_error:raise(bad_argument, 'HTTPClient', io_lib:format("headers must be a List of pairs, not ~p", [Other])).

-spec text(term()) -> string().
text(B) when is_binary(B) -> unicode:characters_to_list(B);
text(A) when is_atom(A) -> atom_to_list(A);
text(I) when is_integer(I) -> integer_to_list(I).

-spec content_type([{string(), string()}]) -> string().
content_type(Headers) ->
    case [V || {K, V} <- Headers, string:lowercase(K) =:= "content-type"] of
        [Type | _] -> Type;
        [] -> "application/octet-stream"
    end.

%% https: the server's certificate is checked against the system's CAs, and its name against the host.
-spec tls(binary()) -> [{ssl, list()}].
tls(<<"https://", _/binary>>) ->
    [{ssl, [{verify, verify_peer}, {cacerts, public_key:cacerts_get()},
            {customize_hostname_check, [{match_fun, public_key:pkix_verify_hostname_match_fun(https)}]}]}];
tls(_) ->
    [].

-spec response(integer(), [{string(), string()}], binary()) -> tuple().
response(Status, Headers, Body) ->
    {'$bt_value', 'HTTPResponse',
     #{status => Status, body => Body,
       headers => [{unicode:characters_to_binary(K), unicode:characters_to_binary(V)} || {K, V} <- Headers]}}.

-spec reason(term()) -> term().
reason({failed_connect, _}) -> failed_connect;
reason(Reason) when is_atom(Reason) -> Reason;
reason({Tag, _}) when is_atom(Tag) -> Tag;
reason(Reason) -> iolist_to_binary(io_lib:format("~p", [Reason])).

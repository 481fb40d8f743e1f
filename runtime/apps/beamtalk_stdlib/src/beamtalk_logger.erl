%% @doc `Logger': Beamtalk objects to OTP's `logger', by their displayString.
-module(beamtalk_logger).

-export([log/2]).

-spec log(logger:level(), term()) -> nil.
log(Level, Message) ->
    Text = case Message of
               B when is_binary(B) -> B;
               Other -> beamtalk_print:display_string(Other)
           end,
    logger:log(Level, "~ts", [Text], #{domain => [beamtalk]}),
    nil.

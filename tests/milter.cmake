# rampartd command line: the shipped sample config is what
# --print-default-config prints, and bad arguments exit 2.
if(TARGET rampartd)
  add_test(NAME rampartd_default_config
           COMMAND sh -c "\"$1\" --print-default-config | cmp - \"$2\"" sh $<TARGET_FILE:rampartd>
                   ${PROJECT_SOURCE_DIR}/deploy/rampartd/rampart.toml)
  add_test(NAME rampartd_bad_argument COMMAND sh -c "\"$1\" --no-such-flag; test $? -eq 2" sh $<TARGET_FILE:rampartd>)
  add_test(NAME rampartd_bad_config
           COMMAND sh -c "printf '[policy]\\nreject_score = 1.0\\n' > \"$2\" && \"$1\" --config \"$2\" --milter 127.0.0.1:0 --http off; test $? -eq 2"
                   sh $<TARGET_FILE:rampartd> ${CMAKE_BINARY_DIR}/rampartd_bad.toml)
endif()
